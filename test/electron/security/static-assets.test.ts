import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStaticAsset, resolveAssetPath } from '../../../electron/security/static-assets';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

describe('static assets of the built renderer', () => {
  it('maps / to index.html and files inside the root', () => {
    expect(resolveAssetPath('/app/renderer', '/')).toBe(path.resolve('/app/renderer/index.html'));
    expect(resolveAssetPath('/app/renderer', '/assets/a.js')).toBe(path.resolve('/app/renderer/assets/a.js'));
  });

  it.each(['/../x', '/..%2fx', '/%2e%2e/x', '/a/../../x', '/%00', '/a\\..\\..\\x', '/%E0%A4%A'])('refuses %s', (urlPath) => {
    expect(resolveAssetPath('/app/renderer', urlPath)).toBeNull();
  });

  it('loads known types, and nothing for folders, missing files or unknown types', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'assets'));
    await writeFile(path.join(root, 'index.html'), '<!doctype html>');
    await writeFile(path.join(root, 'assets', 'x.css'), 'body{}');
    await writeFile(path.join(root, 'notes.exe'), 'MZ');
    expect(await loadStaticAsset(root, '/')).toMatchObject({ contentType: 'text/html; charset=utf-8', isDocument: true });
    expect(await loadStaticAsset(root, '/assets/x.css')).toMatchObject({ contentType: 'text/css; charset=utf-8', isDocument: false });
    expect(await loadStaticAsset(root, '/assets')).toBeNull();
    expect(await loadStaticAsset(root, '/missing.js')).toBeNull();
    expect(await loadStaticAsset(root, '/notes.exe')).toBeNull();
  });
});
