import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinStatusSchema } from '../../shared/network/api';
import { inspectNetworkMapForPinning, verifyNetworkMap } from '../../shared/network/network-map';
import { parseServerArgs, UsageError } from '../../server/cli/server-args';
import { createServerApp } from '../../server/http/server-app';
import { ensureNetwork } from '../../server/network-map/network-parameters';
import { dataDirLockHolder } from '../../server/storage/data-dir-lock';
import { join, newTestNode } from './support/member-client';
import { runServerCli, spawnServer, type ServerChild } from './support/server-process';
import { useTestDatabases } from './support/test-databases';

/**
 * `npm run server` as the operator runs it: the ready line (port 0 → the real port), the data folder
 * (network key 0600), the members CLI in a child process (through the running server's admin socket
 * on PGlite, straight to the database with --database), a second server refused on the same embedded
 * database, and the refusal to listen beyond loopback without TLS.
 */
const databases = useTestDatabases();
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hdms-server-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe.each(databases.variants)('server process $label', (variant) => {
  let dataDir: string;
  let databaseArgs: string[];
  let server: ServerChild;

  beforeAll(async () => {
    if (variant.skip) return;
    dataDir = tempDir();
    databaseArgs = variant.kind === 'postgres' ? ['--database', await databases.postgresUrl()] : [];
    server = await spawnServer(['--data-dir', dataDir, '--port', '0', '--network-name', 'Process Test', ...databaseArgs], { viaNpm: variant.kind === 'pglite' });
    // Measured, not asserted (benchmarks assert; tests only catch hangs).
    console.info(`server ready (${variant.kind}, first start) after ${server.readyAfterMs} ms`);
  }, 90_000);
  afterAll(async () => server?.stop());

  it.skipIf(variant.skip)('prints exactly one ready line with the real port, and serves the signed map', async () => {
    expect(server.stdout()).toMatch(/^HDMS server ready at http:\/\/127\.0\.0\.1:(\d+)\n$/);
    expect(server.url).not.toMatch(/:0$/);
    const first = inspectNetworkMapForPinning(await (await fetch(`${server.url}/v1/network-map`)).json());
    expect(first.signed.map.parameters.name).toBe('Process Test');
    expect(statSync(path.join(dataDir, 'network.key')).mode & 0o777).toBe(0o600);
  });

  it.skipIf(variant.skip)('members list / approve / reject from the CLI act on the running server\'s network', async () => {
    const pinned = inspectNetworkMapForPinning(await (await fetch(`${server.url}/v1/network-map`)).json()).pinned;
    const approveMe = newTestNode();
    const rejectMe = newTestNode();
    await join(server.url, approveMe, pinned);
    await join(server.url, rejectMe, pinned);
    const cli = (...args: string[]) => runServerCli(['--data-dir', dataDir, ...databaseArgs, 'members', ...args]);

    const listed = await cli('list', '--json');
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { address: string; status: string });
    expect(rows.map((row) => [row.address, row.status])).toEqual(expect.arrayContaining([[approveMe.wallet.address, 'pending'], [rejectMe.wallet.address, 'pending']]));

    const approved = await cli('approve', approveMe.wallet.address.toLowerCase());
    expect(approved).toMatchObject({ code: 0, stdout: expect.stringContaining(`approved ${approveMe.wallet.address}`) });
    expect((await cli('reject', rejectMe.wallet.address)).code).toBe(0);
    const again = await cli('reject', rejectMe.wallet.address);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('not pending') });

    const status = JoinStatusSchema.parse(await (await fetch(`${server.url}/v1/join/${approveMe.wallet.address}`)).json());
    expect(status.status).toBe('approved');
    const map = verifyNetworkMap(pinned, await (await fetch(`${server.url}/v1/network-map`)).json()).map;
    expect(map.members.map((member) => member.certificate.member)).toEqual([approveMe.wallet.address]);

    const revoked = await cli('revoke', approveMe.wallet.address);
    expect(revoked.code).toBe(0);
    expect(verifyNetworkMap(pinned, await (await fetch(`${server.url}/v1/network-map`)).json()).map.revocations.map((r) => r.member)).toEqual([approveMe.wallet.address]);
  }, 120_000);

  it.skipIf(variant.skip || variant.kind !== 'pglite')('refuses a second server on the same embedded database; after a stop the CLI opens it directly', async () => {
    const second = await runServerCli(['--data-dir', dataDir, '--port', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another server \(pid \d+\) has .* open/);
    // npm ends with the signal it forwarded; the server itself exits 0 and lets go of the folder.
    expect([0, 'SIGTERM']).toContain(await server.stop());
    await expect.poll(() => dataDirLockHolder(dataDir), { timeout: 10_000 }).toBeNull();
    const listed = await runServerCli(['--data-dir', dataDir, 'members', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^revoked /m);
    expect(listed.stdout).toMatch(/^rejected /m);
  }, 60_000);
});

describe('server command line', () => {
  it('refuses a non-loopback address without TLS, clearly, before opening anything (child process)', async () => {
    const dataDir = tempDir();
    const refused = await runServerCli(['--data-dir', dataDir, '--host', '0.0.0.0', '--port', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('refusing to listen on 0.0.0.0 without TLS');
    expect(readdirSync(dataDir)).toEqual([]);
  }, 60_000);

  it('parses serve and members commands, and refuses bad usage', () => {
    expect(parseServerArgs(['--data-dir', 'd', '--port=8080', '--auto-approve', '--chain-id', '7'])).toMatchObject({ command: 'serve', dataDir: 'd', host: '127.0.0.1', port: 8080, autoApprove: true, tls: null, parameters: { chainId: 7 } });
    expect(parseServerArgs(['--', '--data-dir', 'd', '--host', '0.0.0.0', '--tls-cert', 'c', '--tls-key', 'k'])).toMatchObject({ host: '0.0.0.0', tls: { certFile: 'c', keyFile: 'k' } });
    expect(parseServerArgs(['--data-dir', 'd', '--host', '::1'])).toMatchObject({ host: '::1', tls: null });
    const address = newTestNode().wallet.address;
    expect(parseServerArgs(['--data-dir', 'd', '--database', 'postgres://h/db', 'members', 'approve', address.toLowerCase()])).toMatchObject({ command: 'members', action: 'approve', address, database: 'postgres://h/db' });
    // The settlement chain: none by default, the embedded dev chain, or a real one by its contracts.
    expect(parseServerArgs(['--data-dir', 'd'])).toMatchObject({ chain: null, anchorIntervalMs: 600_000 });
    expect(parseServerArgs(['--data-dir', 'd', '--dev-chain', '--dev-chain-port', '8545', '--anchor-interval', '0'])).toMatchObject({ chain: { kind: 'dev', port: 8545, confirmations: 1 }, anchorIntervalMs: 0 });
    expect(parseServerArgs(['--data-dir', 'd', '--chain-rpc', 'https://rpc.example.org/v1', '--chain-token', address.toLowerCase(), '--chain-escrow', address, '--chain-anchor', address, '--chain-confirmations', '12'])).toMatchObject({
      chain: { kind: 'rpc', rpcUrl: 'https://rpc.example.org/v1', token: address, escrow: address, anchor: address, confirmations: 12 },
    });
    for (const bad of [
      ['--port', '0'],
      ['--data-dir', 'd', '--host', '10.0.0.1'],
      ['--data-dir', 'd', '--host', '0.0.0.0', '--tls-cert', 'c'],
      ['--data-dir', 'd', '--port', '70000'],
      ['--data-dir', 'd', '--database', 'mysql://x'],
      ['--data-dir', 'd', '--verbose'],
      ['--data-dir', 'd', 'members', 'approve'],
      ['--data-dir', 'd', 'members', 'approve', '0x123'],
      ['--data-dir', 'd', '--port', '1', 'members', 'list'],
      ['--data-dir', 'd', 'members', 'promote', address],
      ['--data-dir', 'd', '--dev-chain', '--chain-rpc', 'http://h:8545'],
      ['--data-dir', 'd', '--dev-chain-port', '8545'],
      ['--data-dir', 'd', '--chain-rpc', 'http://h:8545', '--chain-token', address, '--chain-escrow', address],
      ['--data-dir', 'd', '--chain-token', address],
      ['--data-dir', 'd', '--chain-rpc', 'http://user:pw@h:8545', '--chain-token', address, '--chain-escrow', address, '--chain-anchor', address],
      ['--data-dir', 'd', '--chain-rpc', 'http://h:8545', '--chain-token', '0x12', '--chain-escrow', address, '--chain-anchor', address],
      ['--data-dir', 'd', '--chain-confirmations', '2'],
      ['--data-dir', 'd', '--dev-chain', '--chain-confirmations', '0'],
      ['--data-dir', 'd', '--anchor-interval', '-1'],
    ]) {
      expect(() => parseServerArgs(bad), bad.join(' ')).toThrow(UsageError);
    }
  });

  it('serves HTTPS with the TLS files it is given', async () => {
    const dir = tempDir();
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const db = await databases.open('pglite');
    const network = await ensureNetwork(db, new Wallet(Wallet.createRandom().privateKey));
    const { app } = await createServerApp({ db, network, log: pino({ level: 'silent' }), tls: { cert: readFileSync(cert), key: readFileSync(key) } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port, path: '/v1/network-map', ca: readFileSync(cert) }, (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(inspectNetworkMapForPinning(JSON.parse(body)).pinned).toEqual(network.pinned);
    } finally {
      await app.close();
    }
  }, 60_000);
});
