import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const pkg = JSON.parse(readFileSync(resolve(__dirname, 'package.json'), 'utf8')) as { version: string };
const define = { __APP_VERSION__: JSON.stringify(pkg.version) };

/** dcmjs-codecs' frame decoders never use dcmjs; its bundle requires it anyway (see dcmjs-stand-in.ts). */
const dcmjsCodecsWithoutDcmjs = {
  name: 'dcmjs-codecs-without-dcmjs',
  enforce: 'pre' as const,
  resolveId(source: string, importer: string | undefined) {
    if (source === 'dcmjs' && importer !== undefined && /[\\/]node_modules[\\/]dcmjs-codecs[\\/]/.test(importer)) return resolve(__dirname, 'renderer/features/imaging/viewer/decode/dcmjs-stand-in.ts');
    return null;
  },
};

/**
 * One build for both hosts: out/main holds the Electron main process (main.js) and the browser
 * shell (shell.js), which share the body's chunks; out/preload the CommonJS preload; out/renderer the UI.
 */
export default defineConfig({
  main: {
    define,
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          main: resolve(__dirname, 'electron/main.ts'),
          shell: resolve(__dirname, 'electron/shell/shell-main.ts'),
          // A worker_threads entry (HL7 intake workers): its own file, loaded by path at run time.
          'hl7-prepare-worker': resolve(__dirname, 'electron/intake/hl7/hl7-prepare-worker.ts'),
        },
        output: { format: 'cjs', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: true,
      rollupOptions: {
        input: { preload: resolve(__dirname, 'electron/preload.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    define,
    base: './',
    plugins: [react()],
    // The DICOM decode worker loads its codecs as chunks on first use: ES module workers split.
    worker: { format: 'es', plugins: () => [dcmjsCodecsWithoutDcmjs] },
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      emptyOutDir: true,
      // The CSP allows no inline script or style, so nothing may be inlined as a data: module.
      assetsInlineLimit: 0,
      minify: true,
      rollupOptions: { input: resolve(__dirname, 'renderer/index.html') },
    },
  },
});
