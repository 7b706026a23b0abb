import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { putOctets, RATE_LIMIT_MAX_WAIT_MS, RateLimitedRefusal, requestJsonRpc, requestOctets, requestText, whileRateLimited } from '../../../electron/network/network-http';

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

describe('requestJsonRpc (network.chain)', () => {
  it('posts one JSON-RPC 2.0 call and answers its result, or its error with the revert data', async () => {
    const seen: unknown[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const call = JSON.parse(body) as { method: string };
        seen.push(call);
        res.setHeader('content-type', 'application/json');
        if (call.method === 'eth_call') res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 3, message: `execution reverted${'!'.repeat(900)}`, data: '0xdeadbeef' } }));
        else res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x539' }));
      });
    });
    await expect(requestJsonRpc(url, 'eth_chainId', [])).resolves.toEqual({ result: '0x539' });
    const reverted = await requestJsonRpc(url, 'eth_call', [{ to: '0x00' }, 'latest']);
    expect(reverted).toMatchObject({ error: { code: 3, data: '0xdeadbeef' } });
    expect(('error' in reverted ? reverted.error.message : '').length).toBe(500);
    expect(seen[0]).toEqual({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  });

  it('refuses an answer that is not JSON-RPC, and an unreachable chain, as unavailable', async () => {
    const url = await serve((_req, res) => res.end('<html>proxy error</html>'));
    await expect(requestJsonRpc(url, 'eth_chainId', [])).rejects.toThrow(/not JSON-RPC/);
    const empty = await serve((_req, res) => res.end('{"jsonrpc":"2.0","id":1}'));
    await expect(requestJsonRpc(empty, 'eth_chainId', [])).rejects.toThrow(/without a result/);
    await expect(requestJsonRpc('http://127.0.0.1:9', 'eth_chainId', [])).rejects.toThrow(/could not be reached/);
  });
});

describe('a delivery chunk the server rate-limits (429 with Retry-After)', () => {
  const sign = async () => ({});

  it('waits as long as the server asks and sends it again, for an upload and a download; other refusals are not retried', async () => {
    let puts = 0;
    let gets = 0;
    const url = await serve((request, response) => {
      request.resume();
      request.on('end', () => {
        const limited = request.method === 'PUT' ? ++puts <= 2 : ++gets <= 1;
        if (request.url === '/refused') {
          response.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'conflict', message: 'no' } }));
        } else if (limited) {
          response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }));
        } else if (request.method === 'PUT') {
          response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ index: 0 }));
        } else {
          response.writeHead(200, { 'content-type': 'application/octet-stream', 'x-hdms-content-sha256': 'ab' }).end(Buffer.from('chunk'));
        }
      });
    });
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const put = await whileRateLimited(() => putOctets(`${url}/chunk`, new Uint8Array([1, 2, 3]), { sign }), { sleep });
    expect(put.status).toBe(201);
    expect(puts).toBe(3);
    const got = await whileRateLimited(() => requestOctets(`${url}/chunk`, { sign, maxBytes: 64 }), { sleep });
    expect(got.bytes.toString()).toBe('chunk');
    expect(waits).toEqual([1000, 1000, 1000]);
    // A refusal that is not a rate limit is the caller's at once.
    await expect(whileRateLimited(() => putOctets(`${url}/refused`, new Uint8Array([1]), { sign }), { sleep })).rejects.toThrow(/refused the request \((conflict|HTTP 409)\)/);
    expect(waits).toHaveLength(3);
  });

  it('gives up after the waits it allows, with the rate limit named; a Retry-After beyond the cap waits the cap', async () => {
    const url = await serve((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3600' }).end(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } })));
    });
    const waits: number[] = [];
    const error = await whileRateLimited(() => requestOctets(`${url}/chunk`, { sign, maxBytes: 64 }), { sleep: async (ms) => void waits.push(ms), maxWaits: 3 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedRefusal);
    expect((error as Error).message).toMatch(/rate_limited/);
    expect(waits).toEqual([RATE_LIMIT_MAX_WAIT_MS, RATE_LIMIT_MAX_WAIT_MS, RATE_LIMIT_MAX_WAIT_MS]);
  });
});
