import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestText } from '../../../electron/network/network-http';

/**
 * The body's text GET (the notary's checkpoint): a hostile server that streams without end, or
 * declares too much, is cut at the cap instead of filling the body's memory.
 */

let server: http.Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('requestText', () => {
  it('answers a text within the cap', async () => {
    const url = await serve((_req, res) => res.end('log\n3\nroot\n'));
    await expect(requestText(url, 1024)).resolves.toBe('log\n3\nroot\n');
  });

  it('cuts a chunked answer that runs past the cap, and one that declares too much', async () => {
    const endless = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(16 * 1024);
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => clearInterval(timer));
    });
    await expect(requestText(endless, 64 * 1024)).rejects.toThrow(/more than the node accepts/);
    server!.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const declared = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
    });
    await expect(requestText(declared, 64 * 1024)).rejects.toThrow(/more than the node accepts/);
  });

  it('refuses an error status with a NetworkRefusal naming it', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(503);
      res.end('busy');
    });
    await expect(requestText(url, 1024)).rejects.toMatchObject({ code: 'E_UNAVAILABLE', message: expect.stringMatching(/HTTP 503/) });
  });
});
