import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsp } from '../../../electron/security/csp';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
  isAppUrl,
  originOf,
} from '../../../electron/window/app-protocol';

let root: string;
let rendererDir: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'hdms-app-protocol-'));
  rendererDir = path.join(root, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>HDMS Node</title>');
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(root, 'secret.txt'), 'outside the renderer folder');
  handler = createAppProtocolHandler(rendererDir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const get = (url: string, init?: RequestInit): Promise<Response> => handler(new Request(url, init));

describe('the app:// origin', () => {
  it('is app://hdms, forever', () => {
    expect(APP_ORIGIN).toBe('app://hdms');
    expect(APP_ENTRY_URL).toBe('app://hdms/index.html');
  });

  it('is a standard, secure scheme without service workers, CORS or CSP bypass', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({
      standard: true,
      secure: true,
      supportFetchAPI: true,
      codeCache: true,
      allowServiceWorkers: false,
      corsEnabled: false,
      stream: true,
      bypassCSP: false,
    });
  });

  it('recognises only exactly app://hdms', () => {
    expect(isAppUrl('app://hdms/index.html#/intake')).toBe(true);
    expect(isAppUrl('APP://HDMS/index.html')).toBe(true);
    expect(isAppUrl('app://hdms.evil/index.html')).toBe(false);
    expect(isAppUrl('app://hdms:8080/index.html')).toBe(false);
    expect(isAppUrl('app://user@hdms/index.html')).toBe(false);
    expect(isAppUrl('https://hdms/index.html')).toBe(false);
    expect(isAppUrl('file:///hdms/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(originOf('https://evil.example/a?b')).toBe('https://evil.example');
  });
});

describe('createAppProtocolHandler', () => {
  it('serves index.html as text/html with the CSP and security headers', async () => {
    const response = await get('app://hdms/index.html');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<title>HDMS Node</title>');
    expect(response.headers.get('content-security-policy')).toBe(buildCsp());
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('serves / as the index', async () => {
    const response = await get('app://hdms/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
  });

  it('sends a CSP that allows no network origin', async () => {
    const csp = (await get('app://hdms/index.html')).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    expect(csp).not.toMatch(/https?:|wss?:|\*|'unsafe-inline'|'unsafe-eval'/);
  });

  it('answers HEAD without a body', async () => {
    const response = await get('app://hdms/assets/app.js', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('answers 404 with the CSP for unknown files and types', async () => {
    for (const url of ['app://hdms/missing.js', 'app://hdms/assets', 'app://hdms/index.exe']) {
      const response = await get(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-security-policy')).toBe(buildCsp());
    }
  });

  it('refuses path traversal, encoded or not', async () => {
    for (const url of [
      'app://hdms/..%2fsecret.txt',
      'app://hdms/assets/..%2f..%2fsecret.txt',
      'app://hdms/%2e%2e/secret.txt',
      'app://hdms/..%5csecret.txt',
      'app://hdms/%00index.html',
    ]) {
      const response = await get(url);
      expect(response.status, url).toBe(404);
      expect(await response.text()).not.toContain('outside the renderer folder');
    }
  });

  it('refuses any other host', async () => {
    for (const url of ['app://evil/index.html', 'app://hdms.evil/index.html', 'app://hdms:1/index.html', 'https://hdms/index.html']) {
      expect((await get(url)).status, url).toBe(403);
    }
    // undici refuses to build such a Request; Chromium's may still carry one.
    const withCredentials = { url: 'app://u:p@hdms/index.html', method: 'GET' } as unknown as Request;
    expect((await handler(withCredentials)).status).toBe(403);
  });

  it('refuses methods other than GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const response = await get('app://hdms/index.html', { method, ...(method === 'POST' || method === 'PUT' ? { body: 'x' } : {}) });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
  });
});
