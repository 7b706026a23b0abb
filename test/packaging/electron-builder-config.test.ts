import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * electron-builder.yml, its resources and the icons, checked without running electron-builder:
 * the file must pass electron-builder's own schema and say what the design (§6, §7, §9) asks.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));

// electron-builder's own dependencies (js-yaml, plist, ajv via its schema validator); typed here.
const yaml = requireFromRoot('js-yaml') as { load(text: string): unknown };
const plist = requireFromRoot('plist') as { parse(xml: string): unknown };
const { validateSchema } = requireFromRoot('app-builder-lib/out/util/config/schemaValidator.js') as {
  validateSchema(schema: unknown, data: unknown): void;
};
const scheme: unknown = requireFromRoot('app-builder-lib/scheme.json');

type Json = Record<string, unknown>;
interface TargetEntry {
  readonly target: string;
  readonly arch?: readonly string[];
}
interface BuilderConfig {
  readonly appId: string;
  readonly productName: string;
  readonly copyright: string;
  readonly directories: { readonly output: string; readonly buildResources: string };
  readonly files: readonly string[];
  readonly asar: boolean;
  readonly extraResources: readonly { readonly from: string; readonly to: string; readonly filter?: readonly string[] }[];
  readonly electronFuses: Readonly<Record<string, boolean>>;
  readonly npmRebuild: boolean;
  readonly publish: unknown;
  readonly mac: Json & { readonly target: readonly TargetEntry[] };
  readonly win: Json & { readonly target: readonly TargetEntry[] };
  readonly nsis: Json;
  readonly linux: Json & { readonly target: readonly TargetEntry[]; readonly extraResources: readonly { from: string; to: string }[] };
}

const configText = readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8');
const config = yaml.load(configText) as BuilderConfig;
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; productName: string; main: string };

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(file: string): { width: number; height: number; colorType: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is a PNG`).toBe(true);
  expect(bytes.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), colorType: bytes.readUInt8(25) };
}

const targetNames = (targets: readonly TargetEntry[]): string[] => targets.map((t) => t.target).sort();

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema", () => {
    expect(() => validateSchema(scheme, structuredClone(config))).not.toThrow();
  });

  it('names the app as package.json and the body do', () => {
    expect(config.appId).toBe('org.hdms.node');
    expect(config.productName).toBe('HDMS Node');
    expect(config.productName).toBe(pkg.productName);
    expect(config.copyright).toMatch(/HDMS Node/);
    const identity = readFileSync(path.join(ROOT, 'electron', 'config', 'app-identity.ts'), 'utf8');
    expect(identity).toContain(`APP_ID = '${config.appId}'`);
    expect(identity).toContain(`PRODUCT_NAME = '${config.productName}'`);
  });

  it('packs only the build output into an asar', () => {
    expect(config.asar).toBe(true);
    expect(config.directories).toEqual({ output: 'dist', buildResources: 'resources' });
    const included = config.files.filter((pattern) => !pattern.startsWith('!'));
    expect(included.sort()).toEqual(['out/main/**', 'out/preload/**', 'out/renderer/**', 'package.json']);
    expect(config.files).toContain('!**/*.map');
    expect(config.files).toContain('!**/*.{ts,tsx,mts,cts}');
    expect(pkg.main.startsWith('out/main/')).toBe(true);
  });

  it('ships the tray icons next to the asar, where electron/tray looks for them', () => {
    expect(config.extraResources).toEqual([{ from: 'resources/tray', to: 'tray', filter: ['*.png'] }]);
    expect(config.linux.extraResources).toEqual([{ from: 'resources/icon.png', to: 'icon.png' }]);
  });

  it('sets every fuse of the design (§9)', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('never rebuilds native modules or publishes by itself', () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.publish).toBeNull();
    expect(configText).not.toMatch(/install-app-deps/);
  });

  it('builds a hardened, notarizable macOS app as dmg and zip for both architectures', () => {
    expect(config.mac.category).toBe('public.app-category.medical');
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(config.mac.entitlements).toBe('resources/entitlements.mac.plist');
    expect(config.mac.entitlementsInherit).toBe('resources/entitlements.mac.plist');
    // Notarization is left to electron-builder 26's environment-driven default: never switched off here.
    expect(config.mac.notarize).not.toBe(false);
    expect(targetNames(config.mac.target)).toEqual(['dmg', 'zip']);
    for (const entry of config.mac.target) expect([...(entry.arch ?? [])].sort()).toEqual(['arm64', 'x64']);
  });

  it('builds an assisted per-user NSIS installer on Windows that keeps the data on uninstall', () => {
    expect(targetNames(config.win.target)).toEqual(['nsis']);
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true, deleteAppDataOnUninstall: false });
  });

  it('builds an AppImage and a deb on Linux, filed under medical software', () => {
    expect(targetNames(config.linux.target)).toEqual(['AppImage', 'deb']);
    expect(config.linux.category).toBe('Science;MedicalSoftware');
    expect(config.linux.maintainer).toMatch(/^.+ <[^@\s]+@[^@\s]+>$/);
    expect(config.linux.executableName).toBe(pkg.name);
  });
});

describe('entitlements.mac.plist', () => {
  const file = path.join(ROOT, 'resources', 'entitlements.mac.plist');

  it('is a valid plist granting only the JIT exception V8 needs', () => {
    const xml = readFileSync(file, 'utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(plist.parse(xml)).toEqual({ 'com.apple.security.cs.allow-jit': true });
  });
});

describe('icons', () => {
  const resources = path.join(ROOT, 'resources');

  it('has the 1024 px app icons electron-builder converts (icns, ico)', () => {
    for (const name of ['icon.png', 'icon-mac.png']) expect(pngSize(path.join(resources, name))).toMatchObject({ width: 1024, height: 1024 });
    expect(config.mac.icon).toBe('resources/icon-mac.png');
    expect(config.win.icon).toBe('resources/icon.png');
  });

  it('has the Linux icon set, each file the size its name says', () => {
    expect(config.linux.icon).toBe('resources/icons');
    const files = readdirSync(path.join(resources, 'icons')).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    expect(files).toEqual(['16x16.png', '24x24.png', '32x32.png', '48x48.png', '64x64.png', '128x128.png', '256x256.png', '512x512.png']);
    for (const name of files) {
      const size = parseInt(name, 10);
      expect(pngSize(path.join(resources, 'icons', name)), name).toMatchObject({ width: size, height: size });
    }
  });

  it('has tray icons at 1x and 2x, and black-on-transparent macOS template images', () => {
    const sizes: Record<string, number> = { 'tray.png': 16, 'tray@2x.png': 32, 'trayTemplate.png': 16, 'trayTemplate@2x.png': 32 };
    for (const [name, size] of Object.entries(sizes)) {
      // Colour type 6: RGBA, so the template's transparency survives.
      expect(pngSize(path.join(resources, 'tray', name)), name).toEqual({ width: size, height: size, colorType: 6 });
    }
    const template = readFileSync(path.join(resources, 'tray-template.svg'), 'utf8');
    const colours = new Set([...template.matchAll(/(?:fill|stroke)="(#[0-9a-fA-F]{3,8})"/g)].map((m) => m[1]?.toLowerCase()));
    expect([...colours]).toEqual(['#000000']);
  });

  it('ships the small icon as the renderer favicon', () => {
    const favicon = path.join(ROOT, 'renderer', 'public', 'favicon.svg');
    expect(existsSync(favicon)).toBe(true);
    expect(readFileSync(favicon, 'utf8')).toBe(readFileSync(path.join(resources, 'icon-small.svg'), 'utf8'));
  });
});
