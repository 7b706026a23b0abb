import { afterEach, describe, expect, it } from 'vitest';
import { useShell } from '../support/e2e-fixture';
import { connectClient, type ShellClient } from '../support/shell-client';

/** The contract over the shell's WebSocket: bad input gets a typed error, and the connection keeps serving. */
describe('the contract over the shell WebSocket', () => {
  const e2e = useShell();
  let client: ShellClient;

  afterEach(async () => {
    // Every case ends with a valid call on the same connection: it still serves.
    const info = await client.call('app.info', {});
    expect(info).toMatchObject({ ok: true, value: { productName: 'HDMS Node', host: 'shell' } });
    expect(client.isOpen).toBe(true);
    await client.close();
  });

  it('answers a valid call', async () => {
    client = await connectClient(e2e.shell);
    expect(await client.call('prefs.get', {})).toMatchObject({ ok: true, value: { theme: expect.any(String) } });
  });

  it('answers a payload that fails the schema with E_BAD_REQUEST, without echoing the values sent', async () => {
    client = await connectClient(e2e.shell);
    const secret = 'Jane Doe 1970-01-01';
    for (const payload of [{ theme: secret }, { density: 42 }, { extra: secret }, null, 'text', [secret]]) {
      const result = await client.call('prefs.update', payload);
      expect(result, JSON.stringify(payload)).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
      expect(JSON.stringify(result)).not.toContain(secret);
    }
    // Nothing was changed by the refused calls.
    expect(await client.call('prefs.get', {})).toMatchObject({ ok: true, value: { theme: 'system' } });
  });

  it('answers an unknown method with E_UNKNOWN_METHOD', async () => {
    client = await connectClient(e2e.shell);
    expect(await client.call('vault.exportAllSecrets', {})).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_METHOD' } });
    expect(await client.call('__proto__', {})).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_METHOD' } });
    expect(await client.call('constructor', {})).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_METHOD' } });
  });

  it('answers frames it cannot read with a protocol error E_BAD_REQUEST', async () => {
    client = await connectClient(e2e.shell);
    const broken: Array<[string | Buffer, boolean]> = [
      ['not json', false],
      ['{"type":"call"', false],
      [JSON.stringify({ type: 'call', id: 1, method: 'app.info', payload: {}, extra: true }), false],
      [JSON.stringify({ type: 'call', id: -1, method: 'app.info', payload: {} }), false],
      [JSON.stringify({ type: 'subscribe', id: 1 }), false],
      [JSON.stringify([1, 2, 3]), false],
      [Buffer.from([0, 1, 2, 3]), true],
    ];
    for (const [data, binary] of broken) {
      const frame = await client.sendBroken(data, binary);
      expect(frame, String(data)).toMatchObject({ type: 'protocol-error', error: { code: 'E_BAD_REQUEST' } });
    }
  });
});
