import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DECODE_WORKER_PATH } from './csp';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly isDocument: boolean;
  /** The DICOM decode worker's script, which both hosts serve with its own CSP (csp.ts buildDecodeWorkerCsp). */
  readonly isDecodeWorker: boolean;
}

/**
 * Maps a URL path to a file of the built renderer, or null. Both hosts serve through here
 * (Electron's app:// handler and the shell's HTTP server), so the traversal guard is written once.
 */
export function resolveAssetPath(rootDir: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const resolved = path.resolve(root, relative);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) return null;
  return resolved;
}

export async function loadStaticAsset(rootDir: string, urlPath: string): Promise<StaticAsset | null> {
  const file = resolveAssetPath(rootDir, urlPath);
  if (file === null) return null;
  const extension = path.extname(file).toLowerCase();
  const contentType = CONTENT_TYPES[extension];
  if (contentType === undefined) return null;
  try {
    return { body: await readFile(file), contentType, isDocument: extension === '.html', isDecodeWorker: DECODE_WORKER_PATH.test(urlPath) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
    throw error;
  }
}
