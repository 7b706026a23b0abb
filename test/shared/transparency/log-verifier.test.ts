import { describe, expect, it } from 'vitest';
import { toBase64 } from '../../../shared/transparency/bytes';
import { formatCheckpoint, signCheckpoint, type Checkpoint } from '../../../shared/transparency/checkpoint';
import { cosignatureV1Signer } from '../../../shared/transparency/cosignature';
import { openCheckpoint, verifyConsistencyBetween, verifyLog, type CheckpointTrust } from '../../../shared/transparency/log-verifier';
import { NoteError, ed25519NoteSigner, formatNote, parseNote, signNote, signatureFor, vkeyOf } from '../../../shared/transparency/note';
import { MemoryTreeStore } from '../../../shared/transparency/tree-store';

const NOW = 1_750_000_000;
const log = ed25519NoteSigner('notary.hdms.example/log', new Uint8Array(32).fill(1));
const witnesses = [1, 2, 3].map((i) => cosignatureV1Signer(`witness${i}.hdms.example`, new Uint8Array(32).fill(10 + i), () => NOW - i));
const futureWitness = cosignatureV1Signer('witness4.hdms.example', new Uint8Array(32).fill(14), () => NOW + 3600);

function entry(i: number, tampered = false): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ seq: i, payloadHash: `0x${(tampered ? i + 1 : i).toString(16).padStart(64, '0')}` }));
}

function logOf(n: number, rewrite?: number): { store: MemoryTreeStore; leaves: Uint8Array[] } {
  const store = new MemoryTreeStore();
  const leaves = Array.from({ length: n }, (_, i) => entry(i, i === rewrite));
  for (const leaf of leaves) store.appendData(leaf);
  return { store, leaves };
}

function checkpointOf(store: MemoryTreeStore, size = store.size, origin = log.name): Checkpoint {
  return { origin, size, rootHash: store.rootAt(size), extensions: [] };
}

/** The notary signs; witnesses cosign (each returns a signature line; the server adds them). */
function witnessed(checkpoint: Checkpoint, cosigners = witnesses): string {
  const text = formatCheckpoint(checkpoint);
  const logSigned = parseNote(signCheckpoint(checkpoint, [log]));
  return formatNote(text, [...logSigned.signatures, ...cosigners.map((w) => signatureFor(text, w))]);
}

const trust: CheckpointTrust = { logKey: vkeyOf(log), witnesses: [...witnesses, futureWitness].map(vkeyOf), quorum: 2, now: NOW };

async function* slowly(leaves: readonly Uint8Array[], seen: { count: number }): AsyncGenerator<Uint8Array> {
  for (const leaf of leaves) {
    seen.count++;
    await Promise.resolve();
    yield leaf;
  }
}

describe('openCheckpoint', () => {
  const { store } = logOf(100);
  const note = witnessed(checkpointOf(store), [...witnesses, futureWitness]);

  it('checks the log key and origin, and counts distinct witnesses not from the future', () => {
    const opened = openCheckpoint(note, trust);
    expect(opened.checkpoint.size).toBe(100);
    expect(opened.cosignatures.map((c) => [c.name, c.timestamp])).toEqual([
      ['witness1.hdms.example', NOW - 1],
      ['witness2.hdms.example', NOW - 2],
      ['witness3.hdms.example', NOW - 3],
    ]);
    expect(opened.futureCosignatures.map((c) => c.name)).toEqual(['witness4.hdms.example']);
    expect(opened.quorumMet).toBe(true);
    expect(openCheckpoint(note, { ...trust, quorum: 4 }).quorumMet).toBe(false);
    // Witness lines repeated by a sloppy server count once.
    const parsed = parseNote(note);
    expect(openCheckpoint(formatNote(parsed.text, [...parsed.signatures, parsed.signatures[1]!]), trust).cosignatures).toHaveLength(3);
  });

  it('refuses a checkpoint not signed by the pinned log key, for another origin, or with an altered cosignature', () => {
    const impostor = ed25519NoteSigner(log.name, new Uint8Array(32).fill(99));
    const byImpostor = signCheckpoint(checkpointOf(store), [impostor]);
    expect(() => openCheckpoint(byImpostor, trust)).toThrow(expect.objectContaining({ code: 'unverified-note' }) as Error);
    const otherOrigin = signCheckpoint(checkpointOf(store, 100, 'other.example/log'), [log]);
    expect(() => openCheckpoint(otherOrigin, trust)).toThrow(expect.objectContaining({ code: 'wrong-origin' }) as Error);
    const parsed = parseNote(note);
    const bent = parsed.signatures.map((s, i) => (i === 2 ? { ...s, signature: s.signature.map((b, j) => (j === 20 ? b ^ 1 : b)) } : s));
    expect(() => openCheckpoint(formatNote(parsed.text, bent), trust)).toThrow(expect.objectContaining({ code: 'invalid-signature' }) as Error);
    expect(() => openCheckpoint(note, { ...trust, quorum: 9 })).toThrow(RangeError);
    expect(() => openCheckpoint('not a note', trust)).toThrow(NoteError);
  });
});

describe('verifyLog', () => {
  const N = 1000;
  const { store, leaves } = logOf(N);
  const note = witnessed(checkpointOf(store));

  it('replays a good log from its raw leaves and reports it as JSON', async () => {
    const seen = { count: 0 };
    const report = await verifyLog(note, trust, slowly([...leaves, entry(N), entry(N + 1)], seen));
    expect(report).toEqual({
      ok: true,
      origin: log.name,
      size: N,
      leavesRead: N,
      rootHash: toBase64(store.root()),
      computedRootHash: toBase64(store.root()),
      witnesses: { cosigned: expect.any(Array) as unknown, quorum: 2, quorumMet: true },
      errors: [],
    });
    expect(report.witnesses.cosigned).toHaveLength(3);
    // It stops at the checkpoint's size: the log may have grown since.
    expect(seen.count).toBe(N);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('finds a tampered copy: one byte of one entry changed', async () => {
    const tampered = leaves.map((leaf, i) => (i === 617 ? entry(i, true) : leaf));
    const report = await verifyLog(note, trust, tampered);
    expect(report.ok).toBe(false);
    expect(report.leavesRead).toBe(N);
    expect(report.computedRootHash).not.toBe(report.rootHash);
    expect(report.errors).toEqual([expect.stringContaining('the log is not what was signed')]);
  });

  it('finds a short log, a reordered log and an entry dropped', async () => {
    expect((await verifyLog(note, trust, leaves.slice(0, N - 1))).errors).toEqual([`The log has ${N - 1} leaves, the checkpoint says ${N}.`]);
    const swapped = leaves.slice();
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect((await verifyLog(note, trust, swapped)).ok).toBe(false);
    expect((await verifyLog(note, trust, [...leaves.slice(0, 10), ...leaves.slice(11), entry(N)])).ok).toBe(false);
  });

  it('reports a checkpoint that is unsigned, unwitnessed or altered, and still replays against it', async () => {
    const logOnly = signCheckpoint(checkpointOf(store), [log]);
    const unwitnessed = await verifyLog(logOnly, trust, leaves);
    expect(unwitnessed.ok).toBe(false);
    expect(unwitnessed.errors).toEqual(['Only 0 of the 2 witness cosignatures required are on the checkpoint.']);
    expect(unwitnessed.computedRootHash).toBe(unwitnessed.rootHash);
    expect((await verifyLog(logOnly, { logKey: trust.logKey }, leaves)).ok).toBe(true);

    const resized = note.replace(`\n${N}\n`, `\n${N - 1}\n`);
    const altered = await verifyLog(resized, trust, leaves);
    expect(altered.ok).toBe(false);
    expect(altered.errors[0]).toContain('does not verify');
    expect(altered.size).toBe(N - 1);

    const wrongKey = await verifyLog(note, { ...trust, logKey: vkeyOf(ed25519NoteSigner(log.name, new Uint8Array(32).fill(5))) }, leaves);
    expect(wrongKey.errors[0]).toContain('not signed by the log key');
    expect(wrongKey.computedRootHash).toBe(wrongKey.rootHash);

    const garbage = await verifyLog('garbage', trust, leaves);
    expect(garbage).toMatchObject({ ok: false, origin: null, size: null, leavesRead: 0 });
  });

  it('reports a source that fails while reading', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield leaves[0]!;
      throw new Error('connection reset');
    }
    const report = await verifyLog(note, trust, failing());
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual(['Reading leaf 1 failed: connection reset']);
  });

  it('verifies the empty log', async () => {
    const empty = new MemoryTreeStore();
    const report = await verifyLog(signCheckpoint(checkpointOf(empty), [log]), { logKey: vkeyOf(log) }, []);
    expect(report).toMatchObject({ ok: true, size: 0, leavesRead: 0 });
  });
});

describe('verifyConsistencyBetween: a node detects a rewritten history and a split view', () => {
  const honest = logOf(64);
  // The notary rewrites entry 20 and rebuilds the tree from there (a fork of history).
  const rewritten = logOf(64, 20);

  it('accepts a checkpoint that extends the kept one, in either order', () => {
    for (const [m, n] of [[10, 37], [1, 64], [32, 33], [37, 37], [0, 5]] as const) {
      const proof = honest.store.consistencyProof(m, n);
      expect(verifyConsistencyBetween(checkpointOf(honest.store, m), checkpointOf(honest.store, n), proof)).toEqual({ ok: true, fromSize: m, toSize: n });
      expect(verifyConsistencyBetween(checkpointOf(honest.store, n), checkpointOf(honest.store, m), proof).ok).toBe(true);
    }
  });

  it('refuses a later checkpoint of a rewritten history, whatever proof the notary sends', () => {
    const kept = checkpointOf(honest.store, 30);
    const fresh = checkpointOf(rewritten.store, 50);
    for (const proof of [rewritten.store.consistencyProof(30, 50), honest.store.consistencyProof(30, 50), []]) {
      expect(verifyConsistencyBetween(kept, fresh, proof)).toMatchObject({ ok: false, problem: 'proof-refused', fromSize: 30, toSize: 50 });
    }
    // Before entry 20 both histories agree: a node that only saw 20 entries cannot tell yet.
    expect(verifyConsistencyBetween(checkpointOf(honest.store, 20), fresh, rewritten.store.consistencyProof(20, 50)).ok).toBe(true);
  });

  it('names two roots for one size, and checkpoints of two logs', () => {
    const split = verifyConsistencyBetween(checkpointOf(honest.store, 40), checkpointOf(rewritten.store, 40), []);
    expect(split).toMatchObject({ ok: false, problem: 'different-roots' });
    expect(JSON.parse(JSON.stringify(split))).toEqual(split);
    const other = verifyConsistencyBetween(checkpointOf(honest.store, 10), checkpointOf(honest.store, 20, 'other.example/log'), honest.store.consistencyProof(10, 20));
    expect(other).toMatchObject({ ok: false, problem: 'different-origin' });
  });

  it('works on checkpoints as signed and opened, end to end', () => {
    const keptNote = witnessed(checkpointOf(honest.store, 30));
    const freshNote = signNote(formatCheckpoint(checkpointOf(rewritten.store, 50)), [log]);
    const kept = openCheckpoint(keptNote, trust).checkpoint;
    const fresh = openCheckpoint(freshNote, { logKey: trust.logKey }).checkpoint;
    expect(verifyConsistencyBetween(kept, fresh, rewritten.store.consistencyProof(30, 50)).ok).toBe(false);
  });
});
