import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredNetworkState } from '../../../shared/ipc/network-contract';
import { EntryHasher, ledgerDomain } from '../../../shared/ledger/ledger-schema';
import { leafData, logOrigin, receiptMessage, type NotarySignedEntry } from '../../../shared/network/notary';
import { toBase64 } from '../../../shared/transparency/bytes';
import { signCheckpoint } from '../../../shared/transparency/checkpoint';
import { leafHash } from '../../../shared/transparency/hash';
import { ed25519NoteSigner, formatVkey, generateEd25519SecretKey, signEd25519 } from '../../../shared/transparency/note';
import { MemoryTreeStore } from '../../../shared/transparency/tree-store';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { OpenVault } from '../../../electron/vault/vault-host';
import { buildChain } from '../../shared/ledger/ledger-fixture';
import { useTempDirs } from '../../support/temp-dir';

/**
 * The node's checks of what the notary answers (issue 10 item 7; the Tests: "a rewritten log and a
 * split view detected by a node"): a log key from the map, checkpoints that must extend the one the
 * node kept, receipts whose signature and inclusion proof must hold. The notary here is a stand-in
 * built from shared/transparency, so each lie can be told precisely.
 */

const requests: Array<{ url: string; body: unknown }> = [];
let answers: Array<(url: string, body: unknown) => unknown> = [];
vi.mock('../../../electron/network/network-http', () => ({
  requestJson: vi.fn(async (url: string, init: { body?: unknown } = {}) => {
    requests.push({ url, body: init.body });
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected request ${url}`);
    return { status: 200, body: answer(url, init.body), etag: null };
  }),
}));
const { LedgerSync } = await import('../../../electron/network/ledger-sync');
const { fetchRecoverableEntries } = await import('../../../electron/network/ledger-recovery');

const tempDir = useTempDirs();
beforeEach(() => {
  requests.length = 0;
  answers = [];
});
afterEach(() => vi.clearAllMocks());

const NETWORK = '0x2222222222222222222222222222222222222222';
const origin = logOrigin(NETWORK);

/** A notary stand-in: a log key, a tree, and receipts as the real one signs them. */
function notary() {
  const secret = generateEd25519SecretKey();
  const signer = ed25519NoteSigner(origin, secret);
  const vkey = formatVkey(origin, 0x01, ed25519.getPublicKey(secret));
  const tree = new MemoryTreeStore();
  const checkpoint = (store = tree, size = store.size) => signCheckpoint({ origin, size, rootHash: store.rootAt(size), extensions: [] }, [signer]);
  const notarize = (signed: NotarySignedEntry, index: number, size: number, store = tree) => {
    const unsigned = { origin, leafIndex: index, leafHash: toBase64(leafHash(leafData(signed))), node: signed.entry.node, seq: signed.entry.seq, entryDigest: new EntryHasher(ledgerDomain()).hash(signed.entry), integratedAt: 1_760_000_000_000 };
    return { status: 'notarized', receipt: { ...unsigned, signature: toBase64(signEd25519(receiptMessage(unsigned), secret)) }, treeSize: size, inclusion: store.inclusionProof(index, size).map(toBase64) };
  };
  return { vkey, tree, checkpoint, notarize };
}

function network(vkey: string): StoredNetworkState {
  return {
    url: 'https://network.example.org',
    network: { name: 'Test', address: NETWORK, chainId: 31337, fingerprint: 'x' },
    node: '0x1111111111111111111111111111111111111111',
    roles: ['clinic'],
    status: 'approved',
    certificate: null,
    map: { epoch: 1, members: [], witnessQuorum: 0, minAppVersion: '0.0.0', logKey: vkey },
    joinedAt: new Date().toISOString(),
    lastContactAt: null,
    problem: null,
  };
}

function vaultWith(entries: readonly NotarySignedEntry[]) {
  const appended: Array<{ kind: string; note?: Record<string, number> }> = [];
  const open = {
    outbox: { read: async (after: number, limit: number) => entries.slice(after, after + limit), lastSeq: async () => entries.length },
    sealer: { seal: async (_kind: string, bytes: Uint8Array) => bytes },
    storage: { journal: { append: async (record: { kind: string; note?: Record<string, number> }) => (appended.push(record), { seq: appended.length }) } },
    onDurable: () => undefined,
  } as unknown as OpenVault;
  return { open, appended };
}

const silentLog = { warn: () => undefined, error: () => undefined, info: () => undefined, child: () => silentLog } as never;

describe('ledger sync: what the node checks', () => {
  it('journals a receipt per entry when the checkpoint, its signature and each inclusion proof hold', async () => {
    const chain = (await buildChain(3)) as NotarySignedEntry[];
    const n = notary();
    for (const signed of chain) n.tree.appendData(leafData(signed));
    answers.push(() => ({ checkpoint: n.checkpoint(), results: chain.map((signed, i) => n.notarize(signed, i, 3)) }));
    const sync = new LedgerSync(await tempDir(), silentLog);
    const { open, appended } = vaultWith(chain);
    const state = await sync.round(network(n.vkey), open);
    expect(state).toMatchObject({ notarizedSeq: 3, checkpointSize: 3, problem: null, split: null });
    expect(appended.map((record) => record.note)).toEqual([
      { ledgerSeq: 1, leafIndex: 0 },
      { ledgerSeq: 2, leafIndex: 1 },
      { ledgerSeq: 3, leafIndex: 2 },
    ]);
  });

  it('keeps entries the notary accepted but has not integrated yet as submitted, and what it refused as neither', async () => {
    const chain = (await buildChain(5)) as NotarySignedEntry[];
    const n = notary();
    n.tree.appendData(leafData(chain[0]!));
    const queued = (signed: NotarySignedEntry) => ({ status: 'queued', entryDigest: new EntryHasher(ledgerDomain()).hash(signed.entry) });
    answers.push(() => ({ checkpoint: n.checkpoint(), results: [n.notarize(chain[0]!, 0, 1), queued(chain[1]!), queued(chain[2]!), { status: 'refused', code: 'chain_gap', message: 'gap' }, queued(chain[4]!)] }));
    const sync = new LedgerSync(await tempDir(), silentLog);
    const { open, appended } = vaultWith(chain);
    const state = await sync.round(network(n.vkey), open);
    expect(state).toMatchObject({ notarizedSeq: 1, submittedSeq: 3 });
    expect(appended).toHaveLength(1);
    // Kept across a restart, and never above what the outbox holds (a vault put back from an older copy).
    expect((await sync.read()).submittedSeq).toBe(3);
    const older = vaultWith(chain.slice(0, 2));
    answers.push(() => ({ checkpoint: n.checkpoint(), results: [queued(chain[1]!)] }));
    expect(await sync.round(network(n.vkey), older.open)).toMatchObject({ notarizedSeq: 1, submittedSeq: 2 });
  });

  it("raises an alarm when the notary refuses an entry as a fork: the network holds another entry of that seq by this node (a rewound ledger, tester T2 S35 F3)", async () => {
    const chain = (await buildChain(2)) as NotarySignedEntry[];
    const n = notary();
    n.tree.appendData(leafData(chain[0]!));
    const fork = { status: 'refused', code: 'fork', message: 'The network already has a different entry 2 of this node: both are kept as evidence of a fork.' };
    answers.push(() => ({ checkpoint: n.checkpoint(), results: [n.notarize(chain[0]!, 0, 1), fork] }));
    const sync = new LedgerSync(await tempDir(), silentLog);
    const { open } = vaultWith(chain);
    const state = await sync.round(network(n.vkey), open);
    expect(state.notarizedSeq).toBe(1);
    expect(state.problem).toMatch(/^Alarm: the network already holds a different entry 2 signed by this node/);
    expect(state.problem).toMatch(/restore/);
  });

  it('stops at a receipt whose inclusion proof does not lead to the checkpoint, journaling nothing for it', async () => {
    const chain = (await buildChain(2)) as NotarySignedEntry[];
    const n = notary();
    for (const signed of chain) n.tree.appendData(leafData(signed));
    const bad = n.notarize(chain[1]!, 1, 2);
    bad.inclusion = [toBase64(new Uint8Array(32))];
    answers.push(() => ({ checkpoint: n.checkpoint(), results: [n.notarize(chain[0]!, 0, 2), bad] }));
    const sync = new LedgerSync(await tempDir(), silentLog);
    const { open, appended } = vaultWith(chain);
    const state = await sync.round(network(n.vkey), open);
    expect(state.notarizedSeq).toBe(1);
    expect(state.problem).toMatch(/^Alarm: the notary's receipt for ledger entry 2 does not check: The inclusion proof/);
    expect(appended).toHaveLength(1);
  });

  it('detects a rewritten log: a later checkpoint that does not extend the one kept (alarm, evidence kept, submission stopped)', async () => {
    const chain = (await buildChain(4)) as NotarySignedEntry[];
    const n = notary();
    for (const signed of chain.slice(0, 2)) n.tree.appendData(leafData(signed));
    answers.push(() => ({ checkpoint: n.checkpoint(), results: chain.slice(0, 2).map((signed, i) => n.notarize(signed, i, 2)) }));
    const dataDir = await tempDir();
    const sync = new LedgerSync(dataDir, silentLog);
    const first = vaultWith(chain.slice(0, 2));
    expect(await sync.round(network(n.vkey), first.open)).toMatchObject({ notarizedSeq: 2, checkpointSize: 2 });

    // The notary rewrites history: entry 1's leaf is gone, the tree is rebuilt with other leaves.
    const rewritten = new MemoryTreeStore();
    for (const signed of [chain[1]!, chain[2]!, chain[3]!]) rewritten.appendData(leafData(signed));
    answers.push(() => ({ checkpoint: n.checkpoint(rewritten), results: [n.notarize(chain[2]!, 1, 3, rewritten), n.notarize(chain[3]!, 2, 3, rewritten)] }));
    answers.push(() => ({ from: 2, to: 3, proof: rewritten.consistencyProof(2, 3).map(toBase64) }));
    const second = vaultWith(chain);
    const state = await sync.round(network(n.vkey), second.open);
    expect(state.problem).toMatch(/^Alarm: the notary showed two checkpoints that do not extend one another/);
    expect(state.split).toMatchObject({ older: expect.stringContaining('\n2\n'), newer: expect.stringContaining('\n3\n') });
    expect(state.notarizedSeq).toBe(2);
    // No receipt; the evidence goes to the journal for the mind to sign a NOTARY_ALARM entry.
    expect(second.appended.map((record) => record.kind)).toEqual(['ledger.alarm']);
    // Stopped: the next round sends nothing until IT has looked.
    const sent = requests.length;
    expect(await sync.round(network(n.vkey), second.open)).toMatchObject({ split: { detail: expect.any(String) } });
    expect(requests).toHaveLength(sent);
  });

  it('detects a split view: two different roots signed for the same tree size', async () => {
    const chain = (await buildChain(3)) as NotarySignedEntry[];
    const n = notary();
    for (const signed of chain.slice(0, 2)) n.tree.appendData(leafData(signed));
    answers.push(() => ({ checkpoint: n.checkpoint(), results: chain.slice(0, 2).map((signed, i) => n.notarize(signed, i, 2)) }));
    const sync = new LedgerSync(await tempDir(), silentLog);
    await sync.round(network(n.vkey), vaultWith(chain.slice(0, 2)).open);
    const other = new MemoryTreeStore();
    for (const signed of [chain[0]!, chain[2]!]) other.appendData(leafData(signed));
    answers.push(() => ({ checkpoint: n.checkpoint(other), results: [n.notarize(chain[2]!, 1, 2, other)] }));
    const state = await sync.round(network(n.vkey), vaultWith(chain).open);
    expect(state.split?.detail).toMatch(/Two different roots were signed for the tree of 2 leaves/);
  });

  it('refuses a checkpoint not signed by the log key of the map', async () => {
    const chain = (await buildChain(1)) as NotarySignedEntry[];
    const honest = notary();
    const impostor = notary();
    impostor.tree.appendData(leafData(chain[0]!));
    answers.push(() => ({ checkpoint: impostor.checkpoint(), results: [impostor.notarize(chain[0]!, 0, 1)] }));
    const sync = new LedgerSync(await tempDir(), silentLog);
    const { open, appended } = vaultWith(chain);
    const state = await sync.round(network(honest.vkey), open);
    expect(state.problem).toMatch(/not signed by the log key/);
    expect(appended).toHaveLength(0);
  });
});

/**
 * Recovery (issue 10 item 10): what the node checks before it appends entries the notary serves
 * back (electron/network/ledger-recovery.ts). Each lie is told precisely; none gets through.
 */
describe('ledger recovery: what the node checks', () => {
  async function served(count: number) {
    const chain = (await buildChain(count)) as NotarySignedEntry[];
    const n = notary();
    for (const signed of chain) n.tree.appendData(leafData(signed));
    const state = { ...network(n.vkey), node: chain[0]!.entry.node };
    const item = (signed: NotarySignedEntry, index: number) => ({ line: new TextDecoder().decode(leafData(signed)), notarized: n.notarize(signed, index, count) });
    const page = (items: ReturnType<typeof item>[]) => ({ node: state.node, checkpoint: n.checkpoint(), entries: items, more: false });
    return { chain, n, state, item, page };
  }
  const hashOf = (signed: NotarySignedEntry): string => new EntryHasher(ledgerDomain()).hash(signed.entry);

  it('returns the entries after the head when every one checks', async () => {
    const { chain, state, item, page } = await served(4);
    answers.push(() => page(chain.slice(2).map((signed, i) => item(signed, i + 2))));
    const recovered = await fetchRecoverableEntries(state, 2, hashOf(chain[1]!));
    expect(recovered.entries.map((signed) => signed.entry.seq)).toEqual([3, 4]);
    expect(requests[0]!.url).toContain(`node=${state.node}&afterSeq=2`);
  });

  it('refuses an entry that does not follow the head, one not signed by the node, a receipt that does not check, and a checkpoint not signed by the log key', async () => {
    const { chain, n, state, item, page } = await served(3);
    // A chain from another head: the node's own entry 2 is not what it has.
    answers.push(() => page(chain.slice(2).map((signed, i) => item(signed, i + 2))));
    await expect(fetchRecoverableEntries(state, 2, hashOf(chain[0]!))).rejects.toThrow(/does not follow the node's own chain/);
    // Entry 3 changed after signing: its signature recovers someone else.
    const changed = { ...chain[2]!, entry: { ...chain[2]!.entry, createdAt: chain[2]!.entry.createdAt + 1 } };
    answers.push(() => page([{ line: new TextDecoder().decode(leafData(changed)), notarized: n.notarize(chain[2]!, 2, 3) }]));
    await expect(fetchRecoverableEntries(state, 2, hashOf(chain[1]!))).rejects.toThrow(/not signed by this node|receipt/);
    // A receipt whose inclusion proof leads elsewhere.
    const bad = item(chain[2]!, 2);
    bad.notarized.inclusion = [toBase64(new Uint8Array(32))];
    answers.push(() => page([bad]));
    await expect(fetchRecoverableEntries(state, 2, hashOf(chain[1]!))).rejects.toThrow(/does not check: The inclusion proof/);
    // Served under another log key.
    const impostor = notary();
    for (const signed of chain) impostor.tree.appendData(leafData(signed));
    answers.push(() => ({ ...page([item(chain[2]!, 2)]), checkpoint: impostor.checkpoint() }));
    await expect(fetchRecoverableEntries(state, 2, hashOf(chain[1]!))).rejects.toThrow(/not signed by the log key/);
  });

  it('asks nothing of a network whose map has no log key yet, and stops at an empty page', async () => {
    const { state, page } = await served(1);
    expect(await fetchRecoverableEntries({ ...state, map: { ...state.map!, logKey: '' } }, 0, `0x${'00'.repeat(32)}`)).toEqual({ entries: [], more: false });
    expect(requests).toHaveLength(0);
    answers.push(() => page([]));
    expect(await fetchRecoverableEntries(state, 1, `0x${'00'.repeat(32)}`)).toEqual({ entries: [], more: false });
  });
});
