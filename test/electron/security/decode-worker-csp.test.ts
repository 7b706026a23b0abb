import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { buildCsp, buildDecodeWorkerCsp, DECODE_WORKER_PATH } from '../../../electron/security/csp';
import { loadStaticAsset } from '../../../electron/security/static-assets';
import { startShellServer, type ShellServer } from '../../../electron/shell/shell-server';
import { createAppProtocolHandler } from '../../../electron/window/app-protocol';

/**
 * The DICOM decode worker's own CSP (issue 12): its script, and only its script, is served by
 * both hosts with 'wasm-unsafe-eval' (its codecs are WebAssembly); the document and every other
 * script keep the strict policy; 'unsafe-eval' appears nowhere.
 */
function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

const WORKER = '/assets/dicom-decode-worker-BaOHwP2k.js';
let root: string;
let rendererDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'hdms-worker-csp-'));
  rendererDir = path.join(root, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>HDMS Node</title>');
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(rendererDir, WORKER), 'self.onmessage = () => {}');
  // A file named like the worker but elsewhere is an ordinary asset.
  await writeFile(path.join(rendererDir, 'dicom-decode-worker-x.js'), 'x');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the decode worker CSP', () => {
  it('allows WebAssembly compilation and same-origin fetches of the .wasm files, nothing else', () => {
    const csp = directives(buildDecodeWorkerCsp());
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('worker-src')).toEqual(["'none'"]);
    expect(buildDecodeWorkerCsp()).not.toMatch(/'unsafe-eval'|'unsafe-inline'|https?:|\*/);
    // The document's policy is unchanged: no WebAssembly there.
    expect(buildCsp()).not.toContain('wasm');
  });

  it('names only the built worker entry', () => {
    expect(DECODE_WORKER_PATH.test(WORKER)).toBe(true);
    for (const other of ['/assets/app.js', '/dicom-decode-worker-x.js', '/assets/dicom-decode-worker-x.js.map', '/assets/sub/dicom-decode-worker-x.js', '/assets/dicom-decode-worker-../x.js']) expect(DECODE_WORKER_PATH.test(other)).toBe(false);
  });

  it('static assets mark the worker script and nothing else', async () => {
    expect(await loadStaticAsset(rendererDir, WORKER)).toMatchObject({ isDecodeWorker: true, isDocument: false });
    expect(await loadStaticAsset(rendererDir, '/assets/app.js')).toMatchObject({ isDecodeWorker: false });
    expect(await loadStaticAsset(rendererDir, '/dicom-decode-worker-x.js')).toMatchObject({ isDecodeWorker: false });
    expect(await loadStaticAsset(rendererDir, '/')).toMatchObject({ isDecodeWorker: false, isDocument: true });
  });

  it('the app:// host serves the worker with its policy and everything else with the document’s', async () => {
    const handler = createAppProtocolHandler(rendererDir);
    const worker = await handler(new Request(`app://hdms${WORKER}`));
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-security-policy')).toBe(buildDecodeWorkerCsp());
    expect(worker.headers.get('x-content-type-options')).toBe('nosniff');
    for (const other of ['/index.html', '/assets/app.js']) expect((await handler(new Request(`app://hdms${other}`))).headers.get('content-security-policy')).toBe(buildCsp());
  });

  it('the browser shell does the same', async () => {
    const dataDir = path.join(root, 'data');
    const body: Body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '1.0.0', logLevel: 'silent', mllpPort: 0 });
    let server: ShellServer | null = null;
    try {
      server = await startShellServer({ body, rendererDir, port: 0 });
      const port = server.port;
      const csp = (urlPath: string) =>
        new Promise<string>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: urlPath, headers: { host: `127.0.0.1:${port}` } }, (response) => {
              response.resume();
              resolve(String(response.headers['content-security-policy']));
            })
            .on('error', reject);
        });
      expect(await csp(WORKER)).toBe(buildDecodeWorkerCsp());
      const documentCsp = await csp('/');
      expect(documentCsp).toContain("script-src 'self';");
      expect(documentCsp).not.toContain('wasm');
      expect(await csp('/assets/app.js')).toBe(documentCsp);
    } finally {
      await server?.close();
      await body.stop('quit');
    }
  });
});
