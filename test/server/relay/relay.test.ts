import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorSchema } from '../../../shared/network/api';
import { openMessage, RELAY_CLOSE_SLOW_CONSUMER, RelayInboxPageSchema, RelaySentSchema, sealBroadcast, sealMessage, type RelayEnvelope } from '../../../shared/network/relay';
import { openPostgresDatabase } from '../../../server/storage/postgres-database';
import { join } from '../support/member-client';
import { useTestDatabases } from '../support/test-databases';
import { ack, inbox, newRelayNode, openStream, relayMember, seal, send, startRelayServer, streamHeaders, type RelayNode, type RelayTestServer } from './support/relay-fixtures';

/**
 * The relay over HTTP and WebSocket (issue 10 item 9), on PGlite and on a real PostgreSQL: send,
 * inbox, ack; delivery on the stream, live and after being offline; broadcast by role; refusals with
 * nothing stored; TTL expiry; a slow stream consumer cut off with bounded server memory; quotas and
 * size caps; on PostgreSQL, a message sent through one server process reaches a stream on another.
 */
const databases = useTestDatabases();
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const anyone = (): boolean => true;

async function problem(response: Response): Promise<{ status: number; code: string }> {
  return { status: response.status, code: ApiErrorSchema.parse(await response.json()).error.code };
}

async function storedCount(server: RelayTestServer): Promise<number> {
  return (await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM relay_messages')).rows[0]!.n;
}

describe.each(databases.variants)('relay $label', (variant) => {
  let server: RelayTestServer;
  let offset = 0;
  const clock = (): number => Date.now() + offset;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startRelayServer(await databases.open(variant.kind), {
      now: clock,
      maxMessageSize: 128 * 1024,
      relay: { maxBufferedBytes: 256 * 1024, heartbeatMs: 60_000 },
      // Every test makes new members: the per-IP join limit is not what is tested here.
      limits: { joinRateLimit: { max: 10_000, windowMs: 60_000 } },
    });
  }, 60_000);
  afterAll(async () => server?.close());

  it.skipIf(variant.skip)('send → inbox → ack: the recipient pages its pending messages, opens them, and acked ones are gone', async () => {
    const [alice, bob] = [await relayMember(server), await relayMember(server)];
    const envelopes: RelayEnvelope[] = [];
    for (let i = 0; i < 5; i++) envelopes.push(await seal(alice, bob, `message ${i}`));
    const sent = await send(server, alice, envelopes);
    expect(sent.status).toBe(201);
    expect(RelaySentSchema.parse(await sent.json())).toEqual({ stored: 5, duplicates: [] });
    // A retried send stores nothing twice.
    expect(RelaySentSchema.parse(await (await send(server, alice, envelopes.slice(0, 2))).json())).toMatchObject({ stored: 0, duplicates: [{ id: envelopes[0]!.id }, { id: envelopes[1]!.id }] });

    const first = RelayInboxPageSchema.parse(await (await inbox(server, bob, '?limit=3')).json());
    expect(first.messages).toHaveLength(3);
    expect(first.next).not.toBeNull();
    const second = RelayInboxPageSchema.parse(await (await inbox(server, bob, `?after=${first.next}&limit=3`)).json());
    expect(second).toMatchObject({ next: null });
    const all = [...first.messages, ...second.messages];
    expect(all.map((m) => m.envelope)).toEqual(envelopes);
    const opened = await Promise.all(all.map((m) => openMessage(m.envelope, bob.messagePrivateKey, bob.wallet.address, { resolveSender: (a) => a === alice.wallet.address })));
    expect(opened.map((m) => decode(m.payload))).toEqual([0, 1, 2, 3, 4].map((i) => `message ${i}`));
    // Alice's own inbox is empty: messages are for their recipient only.
    expect(RelayInboxPageSchema.parse(await (await inbox(server, alice)).json()).messages).toEqual([]);
    // Acks delete the signer's messages only: Alice cannot ack Bob's.
    expect(await (await ack(server, alice, [envelopes[0]!.id])).json()).toEqual({ deleted: 0 });
    expect(await (await ack(server, bob, envelopes.slice(0, 3).map((e) => e.id))).json()).toEqual({ deleted: 3 });
    expect(RelayInboxPageSchema.parse(await (await inbox(server, bob)).json()).messages.map((m) => m.envelope.id)).toEqual(envelopes.slice(3).map((e) => e.id));
    expect(await (await inbox(server, bob, '?limit=1000')).status).toBe(400);
  });

  it.skipIf(variant.skip)('delivers on the stream what was sent while the recipient was offline, then what arrives live; unacked messages come again on reconnect', async () => {
    const [alice, bob] = [await relayMember(server), await relayMember(server)];
    const offline = await seal(alice, bob, 'sent while you were away');
    expect((await send(server, alice, [offline])).status).toBe(201);
    const stream = await openStream(server, bob);
    const [first] = await stream.messages(1);
    expect(first!.envelope).toEqual(offline);
    expect(decode((await openMessage(first!.envelope, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone })).payload)).toBe('sent while you were away');
    const live = await seal(alice, bob, 'live');
    const sentAt = performance.now();
    expect((await send(server, alice, [live])).status).toBe(201);
    const frames = await stream.messages(2);
    expect(performance.now() - sentAt).toBeLessThan(5_000);
    expect(frames[1]!.envelope).toEqual(live);
    expect(frames[1]!.seq).toBeGreaterThan(frames[0]!.seq);
    stream.close();
    await stream.closed();
    // Acked on the first; the second comes again on the next connection.
    await ack(server, bob, [offline.id]);
    const again = await openStream(server, bob);
    const redelivered = await again.messages(1);
    expect(redelivered.map((f) => f.envelope.id)).toEqual([live.id]);
    again.close();
  });

  it.skipIf(variant.skip)('streams every message of concurrent senders once and in seq order (a late commit is not skipped)', async () => {
    const bob = await relayMember(server);
    const senders = await Promise.all(Array.from({ length: 6 }, () => relayMember(server)));
    const stream = await openStream(server, bob);
    const sent: string[] = [];
    await Promise.all(
      senders.map(async (sender) => {
        for (let i = 0; i < 5; i++) {
          const envelope = await seal(sender, bob, `from ${sender.wallet.address} #${i}`);
          sent.push(envelope.id);
          expect((await send(server, sender, [envelope])).status).toBe(201);
        }
      }),
    );
    const frames = await stream.messages(sent.length);
    expect(frames.map((f) => f.envelope.id).sort()).toEqual([...sent].sort());
    expect(frames.map((f) => f.seq)).toEqual([...frames.map((f) => f.seq)].sort((a, b) => a - b));
    expect(new Set(frames.map((f) => f.seq)).size).toBe(frames.length);
    stream.close();
  });

  it.skipIf(variant.skip)('broadcasts to every member with a role: one envelope each, on their streams; others get nothing; a recipient without the role is refused', async () => {
    const sender = await relayMember(server, ['clinic']);
    const researchers = [await relayMember(server, ['research']), await relayMember(server, ['research', 'witness']), await relayMember(server, ['clinic', 'research'])];
    const bystander = await relayMember(server, ['clinic']);
    const streams = await Promise.all(researchers.map((node) => openStream(server, node)));
    const envelopes = await sealBroadcast({ signer: sender.signer, role: 'research', recipients: researchers.map((n) => ({ address: n.wallet.address, messageKey: n.messageKey })), payload: new TextEncoder().encode('call for data'), ttlMs: 3600_000 });
    expect((await send(server, sender, envelopes)).status).toBe(201);
    for (const [i, stream] of streams.entries()) {
      const [frame] = await stream.messages(1);
      const opened = await openMessage(frame!.envelope, researchers[i]!.messagePrivateKey, researchers[i]!.wallet.address, { resolveSender: anyone });
      expect(opened).toMatchObject({ id: envelopes[0]!.id, role: 'research', from: sender.wallet.address });
      stream.close();
    }
    expect(RelayInboxPageSchema.parse(await (await inbox(server, bystander)).json()).messages).toEqual([]);

    const before = await storedCount(server);
    const wrong = await sealBroadcast({ signer: sender.signer, role: 'research', recipients: [...researchers, bystander].map((n) => ({ address: n.wallet.address, messageKey: n.messageKey })), payload: new Uint8Array(1), ttlMs: 3600_000 });
    expect(await problem(await send(server, sender, wrong))).toEqual({ status: 403, code: 'unknown_member' });
    expect(await storedCount(server)).toBe(before);
  });

  it.skipIf(variant.skip)('refuses unknown, pending and revoked recipients and senders, a from that is not the signer, and bad times, storing nothing', async () => {
    const [alice, bob] = [await relayMember(server), await relayMember(server)];
    const stranger = await newRelayNode();
    const pending = await newRelayNode();
    await join(server.url, pending, server.network.pinned);
    const revoked = await relayMember(server);
    await server.membership.revoke(revoked.wallet.address);
    const before = await storedCount(server);
    for (const recipient of [stranger, pending, revoked]) {
      expect(await problem(await send(server, alice, [await seal(alice, recipient, 'x')]))).toEqual({ status: 403, code: 'unknown_member' });
    }
    // One bad recipient refuses the whole batch.
    expect(await problem(await send(server, alice, [await seal(alice, bob, 'ok'), await seal(alice, stranger, 'x')]))).toEqual({ status: 403, code: 'unknown_member' });
    expect(await problem(await send(server, revoked, [await seal(revoked, bob, 'x')]))).toEqual({ status: 403, code: 'membership_revoked' });
    expect(await problem(await send(server, stranger, [await seal(stranger, bob, 'x')]))).toEqual({ status: 403, code: 'unknown_member' });
    // Alice posts a message sealed by Bob's key in Bob's name: the from must be the signer.
    expect(await problem(await send(server, alice, [await seal(bob, alice, 'x')]))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await problem(await send(server, alice, [await seal(alice, bob, 'x', { now: Date.now() - 3600_000, ttlMs: 7200_000 })]))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await problem(await send(server, alice, [await seal(alice, bob, 'x', { ttlMs: 30 * 24 * 3600_000 })]))).toEqual({ status: 400, code: 'invalid_request' });
    const twice = await seal(alice, bob, 'x');
    expect(await problem(await send(server, alice, [twice, twice]))).toEqual({ status: 400, code: 'invalid_request' });
    const malformed = await seal(alice, bob, 'x');
    expect(await problem(await send(server, alice, [{ ...malformed, subject: 'Lab results' } as RelayEnvelope]))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await storedCount(server)).toBe(before);

    // Streams: unsigned, unknown and revoked are refused with typed errors.
    await expect(openStream(server, alice, {})).rejects.toMatchObject({ status: 401 });
    await expect(openStream(server, stranger)).rejects.toMatchObject({ status: 403 });
    await expect(openStream(server, revoked)).rejects.toMatchObject({ status: 403 });
    // A replayed upgrade request (same nonce) is refused too.
    const headers = await streamHeaders(server, alice);
    (await openStream(server, alice, headers)).close();
    await expect(openStream(server, alice, headers)).rejects.toMatchObject({ status: 401 });
    // A plain GET of the stream's path is told to upgrade.
    expect((await fetch(`${server.url}/v1/relay/stream`)).status).toBe(400);
  });

  it.skipIf(variant.skip)('expires messages after their TTL: gone from the inbox at once, deleted by the sweep', async () => {
    const [alice, bob] = [await relayMember(server), await relayMember(server)];
    const short = await seal(alice, bob, 'short', { ttlMs: 60_000, now: clock() });
    const long = await seal(alice, bob, 'long', { ttlMs: 3600_000, now: clock() });
    await send(server, alice, [short, long]);
    offset += 61_000;
    try {
      expect(RelayInboxPageSchema.parse(await (await inbox(server, bob)).json()).messages.map((m) => m.envelope.id)).toEqual([long.id]);
      expect(await server.relay.prune()).toBeGreaterThanOrEqual(1);
      const left = await server.db.query<{ message_id: string }>('SELECT message_id FROM relay_messages WHERE recipient = $1', [bob.wallet.address]);
      expect(left.rows.map((r) => r.message_id)).toEqual([long.id]);
    } finally {
      offset = 0;
    }
  });

  it.skipIf(variant.skip)('cuts off a stream consumer that does not read, holding at most its buffer bound; its messages stay stored', async () => {
    const [alice, bob] = [await relayMember(server), await relayMember(server)];
    const stream = await openStream(server, bob);
    // Bob stops reading: his socket is paused, so TCP and then the server's buffers fill.
    (stream.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = crypto.getRandomValues(new Uint8Array(64 * 1024));
    let sent = 0;
    for (let batch = 0; batch < 4 && server.relay.statistics().slowConsumersDropped === 0; batch++) {
      const envelopes: RelayEnvelope[] = [];
      for (let i = 0; i < 50; i++) envelopes.push(await sealMessage({ signer: alice.signer, recipient: bob.wallet.address, recipientMessageKey: bob.messageKey, payload, ttlMs: 3600_000 }));
      expect((await send(server, alice, envelopes)).status).toBe(201);
      sent += envelopes.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const deadline = Date.now() + 10_000;
    while (server.relay.statistics().slowConsumersDropped === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const stats = server.relay.statistics();
    expect(stats.slowConsumersDropped).toBe(1);
    // One frame beyond the bound at most (a 64 KiB message is about 88 KB of JSON).
    expect(stats.maxBufferedBytes).toBeLessThanOrEqual(256 * 1024 + 100 * 1024);
    expect(stats.connections).toBe(0);
    const pending = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM relay_messages WHERE recipient = $1', [bob.wallet.address]);
    expect(pending.rows[0]!.n).toBe(sent);
    stream.ws.terminate();
    // Bob reconnects and reads: the messages come from the start.
    const again = await openStream(server, bob);
    expect((await again.messages(10))[0]!.seq).toBeGreaterThan(0);
    again.close();
    expect(RELAY_CLOSE_SLOW_CONSUMER).toBe(4008);
  });

  it.skipIf(variant.skip)('never logs envelopes or payloads', async () => {
    const [alice, bob] = [await relayMember(server), await relayMember(server)];
    const envelope = await seal(alice, bob, 'PATIENT-NAME-IN-PAYLOAD');
    await send(server, alice, [envelope]);
    await inbox(server, bob);
    const log = server.logLines().join('\n');
    expect(log).not.toContain(envelope.ct.slice(0, 40));
    expect(log).not.toContain(envelope.epk.slice(0, 40));
    expect(log).not.toContain('PATIENT-NAME');
  });
});

describe.each(databases.variants)('relay quotas and caps $label', (variant) => {
  let server: RelayTestServer;
  beforeAll(async () => {
    if (variant.skip) return;
    server = await startRelayServer(await databases.open(variant.kind), {
      maxMessageSize: 2048,
      relay: { quota: { messagesPerHour: 5, bytesPerHour: 4_000 }, maxRequestBytes: 32 * 1024, maxStreamsPerMember: 2, heartbeatMs: 400 },
      // Short HTTP deadlines: a stream must outlive them (heartbeats watch it instead).
      limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 1_500, connectionsCheckingIntervalMs: 250, idleTimeoutMs: 1_000 },
    });
  }, 60_000);
  afterAll(async () => server?.close());

  it.skipIf(variant.skip)('refuses a message over the network\'s maximum size (413) and a body over the route\'s limit (413)', async () => {
    const [alice, bob] = [await relayMember(server), await relayMember(server)];
    expect((await send(server, alice, [await seal(alice, bob, new Uint8Array(2048 - 80))])).status).toBe(201);
    expect(await problem(await send(server, alice, [await seal(alice, bob, new Uint8Array(2048 - 79))]))).toEqual({ status: 413, code: 'payload_too_large' });
    const many: RelayEnvelope[] = [];
    for (let i = 0; i < 20; i++) many.push(await seal(alice, bob, new Uint8Array(1500)));
    expect(await problem(await send(server, alice, many))).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it.skipIf(variant.skip)('counts messages and bytes per member per hour: over either quota, 429 and nothing stored', async () => {
    const [alice, bob, carol] = [await relayMember(server), await relayMember(server), await relayMember(server)];
    const small = async (from: RelayNode, to: RelayNode) => seal(from, to, 'hi');
    expect((await send(server, alice, [await small(alice, bob), await small(alice, bob), await small(alice, bob)])).status).toBe(201);
    expect((await send(server, alice, [await small(alice, bob), await small(alice, bob)])).status).toBe(201);
    const before = await storedCount(server);
    expect(await problem(await send(server, alice, [await small(alice, bob)]))).toEqual({ status: 429, code: 'rate_limited' });
    expect(await storedCount(server)).toBe(before);
    // Another member's quota is its own; bytes count too (2 × 1,580 fit in 4,000, a third does not).
    const kilo = async () => seal(carol, bob, new Uint8Array(1500));
    expect((await send(server, carol, [await kilo(), await kilo()])).status).toBe(201);
    expect(await problem(await send(server, carol, [await kilo()]))).toEqual({ status: 429, code: 'rate_limited' });
    expect(await storedCount(server)).toBe(before + 2);
  });

  it.skipIf(variant.skip)('allows at most N streams per member', async () => {
    const bob = await relayMember(server);
    const one = await openStream(server, bob);
    const two = await openStream(server, bob);
    await expect(openStream(server, bob)).rejects.toMatchObject({ status: 429 });
    one.close();
    await one.closed();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const three = await openStream(server, bob);
    two.close();
    three.close();
  });

  it.skipIf(variant.skip)('keeps a live stream open past the HTTP deadlines, and cuts one that stops answering pings', async () => {
    const [alice, bob, carol] = [await relayMember(server), await relayMember(server), await relayMember(server)];
    const live = await openStream(server, bob);
    const silent = await openStream(server, carol);
    (silent.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    expect((await send(server, alice, [await seal(alice, bob, 'still there')])).status).toBe(201);
    expect(await live.messages(1)).toHaveLength(1);
    expect(server.relay.statistics().connections).toBe(1);
    silent.ws.terminate();
    live.close();
  });
});

describe.each(databases.variants.filter((v) => v.kind === 'postgres'))('relay across server processes $label', (variant) => {
  it.skipIf(variant.skip)('a message sent through one server reaches a stream held by another on the same database (LISTEN/NOTIFY)', async () => {
    const db = await databases.open('postgres');
    const first = await startRelayServer(db);
    const pool = (db as unknown as { pool: { options: { connectionString: string } } }).pool;
    const secondDb = await openPostgresDatabase({ connectionString: pool.options.connectionString });
    const second = await startRelayServer(secondDb, { wallet: first.wallet });
    try {
      const [alice, bob] = [await relayMember(first), await relayMember(first)];
      const stream = await openStream(second, bob);
      const envelope = await seal(alice, bob, 'across processes');
      expect((await send(first, alice, [envelope])).status).toBe(201);
      const [frame] = await stream.messages(1, 5_000);
      expect(frame!.envelope).toEqual(envelope);
      stream.close();
    } finally {
      await second.close();
      await secondDb.close();
      await first.close();
    }
  });
});

describe.each(databases.variants.filter((v) => v.kind === 'pglite'))('relay stream upgrades from one address $label', (variant) => {
  let server: RelayTestServer;
  beforeAll(async () => {
    if (variant.skip) return;
    server = await startRelayServer(await databases.open(variant.kind), { limits: { ipRateLimit: { max: 4, windowMs: 60_000 } } });
  }, 60_000);
  afterAll(async () => server?.close());

  it.skipIf(variant.skip)('counts upgrades against the per-address limit before checking any signature: a flood gets 429, the server keeps serving', async () => {
    const bob = await relayMember(server);
    for (let i = 0; i < 3; i++) await expect(openStream(server, bob, { 'x-hdms-member': 'garbage' })).rejects.toMatchObject({ status: 401 });
    const stream = await openStream(server, bob);
    await expect(openStream(server, bob, { 'x-hdms-member': 'garbage' })).rejects.toMatchObject({ status: 429 });
    // Over the limit even with a valid signature, until the window ends; what is open stays open.
    await expect(openStream(server, bob)).rejects.toMatchObject({ status: 429 });
    expect(stream.ws.readyState).toBe(stream.ws.OPEN);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    stream.close();
  });
});
