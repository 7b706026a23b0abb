import { TypedDataEncoder, verifyTypedData, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { EntryHasher, entryHash, entryTypes, LedgerSchemaError, parseEntry } from '../../../shared/ledger/ledger-schema';
import { signEntry } from '../../../shared/ledger/ledger-sign';
import { verifyLedger } from '../../../shared/ledger/ledger-verify';
import { buildChain, domain, OTHER_KEY, TEST_KEY, type Signed } from './ledger-fixture';

const node = new Wallet(TEST_KEY).address;
const verify = (chain: readonly { entry: unknown; signature: unknown }[]) => verifyLedger(chain, { domain, node });
const copy = (chain: readonly Signed[]): Signed[] => chain.map((s) => ({ entry: { ...s.entry }, signature: s.signature }));

describe('ledger entry schema', () => {
  it('refuses an extra field before signing (ethers alone would sign it away)', async () => {
    const [first] = await buildChain(1);
    const wallet = new Wallet(TEST_KEY);
    const extra = { ...first!.entry, patientName: 'Jane Doe' };
    // ethers ignores the field: the signature is the same as without it.
    expect(await wallet.signTypedData({ ...domain }, entryTypes(), extra)).toBe(first!.signature);
    await expect(signEntry(wallet, domain, extra)).rejects.toThrow(/entry 1 has unexpected field "patientName"/);
    await expect(signEntry(wallet, domain, extra)).rejects.toBeInstanceOf(LedgerSchemaError);
  });

  it('refuses a missing field before signing', async () => {
    const [first] = await buildChain(1);
    const { operator: _operator, ...missing } = first!.entry;
    await expect(signEntry(new Wallet(TEST_KEY), domain, missing)).rejects.toThrow(/entry 1 is missing field "operator"/);
  });

  it('refuses non-canonical values: upper-case hex, an unchecksummed address, an unknown kind, a fraction', () => {
    const base = { seq: 1, prevHash: `0x${'00'.repeat(32)}`, kind: 'ACCESS', subject: `0x${'00'.repeat(32)}`, operator: `0x${'00'.repeat(32)}`, payloadHash: `0x${'ab'.repeat(32)}`, inputs: [], createdAt: 1, node };
    expect(parseEntry(base).seq).toBe(1);
    expect(() => parseEntry({ ...base, payloadHash: `0x${'AB'.repeat(32)}` })).toThrow(/payloadHash/);
    expect(() => parseEntry({ ...base, node: node.toLowerCase() })).toThrow(/checksummed/);
    expect(() => parseEntry({ ...base, kind: 'VIEWED' })).toThrow(/kind/);
    expect(() => parseEntry({ ...base, seq: 1.5 })).toThrow(/seq/);
  });

  it('hashes exactly as TypedDataEncoder.hash does', async () => {
    for (const { entry } of await buildChain(5)) {
      const reference = TypedDataEncoder.hash({ ...domain }, entryTypes(), { ...entry });
      expect(new EntryHasher(domain).hash(entry)).toBe(reference);
      expect(entryHash(domain, entry)).toBe(reference);
    }
  });
});

describe('verifyLedger', () => {
  it('accepts a valid chain and names its head', async () => {
    const chain = await buildChain(6);
    const result = await verify(chain);
    expect(result).toEqual({ ok: true, entries: 6, head: entryHash(domain, chain[5]!.entry) });
    expect(await verify([])).toMatchObject({ ok: true, entries: 0 });
  });

  it('refuses an extra field after signing, though ethers still verifies it', async () => {
    const chain = copy(await buildChain(4));
    (chain[2]!.entry as unknown as Record<string, unknown>)['note'] = 'x';
    expect(verifyTypedData({ ...domain }, entryTypes(), chain[2]!.entry, chain[2]!.signature)).toBe(node);
    expect(await verify(chain)).toEqual({ ok: false, entries: 2, firstBreak: { seq: 3, problem: 'entry 3 has unexpected field "note"' } });
  });

  it('refuses a missing field after signing', async () => {
    const chain = copy(await buildChain(4));
    delete (chain[1]!.entry as unknown as Record<string, unknown>)['inputs'];
    expect(await verify(chain)).toMatchObject({ ok: false, firstBreak: { seq: 2, problem: 'entry 2 is missing field "inputs"' } });
  });

  it('detects one changed field: the signature fails and the next entry names another hash', async () => {
    const chain = copy(await buildChain(5));
    chain[2]!.entry = { ...chain[2]!.entry, kind: 'EXPORT' === chain[2]!.entry.kind ? 'ACCESS' : 'EXPORT' };
    const result = await verify(chain);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.firstBreak.seq).toBe(3);
    expect(result.firstBreak.problem).toMatch(/^entry 3 was changed after it was signed: its signature is by 0x[0-9a-fA-F]{40}, not this node \(0x[0-9a-fA-F]{40}\), and entry 4's prevHash names a different hash for it$/);
  });

  it('detects a changed prevHash', async () => {
    const chain = copy(await buildChain(5));
    chain[3]!.entry = { ...chain[3]!.entry, prevHash: chain[1]!.entry.prevHash };
    expect(await verify(chain)).toMatchObject({ ok: false, firstBreak: { seq: 4, problem: 'entry 4: prevHash does not match the hash of entry 3' } });
  });

  it('detects two entries swapped', async () => {
    const chain = copy(await buildChain(6));
    [chain[2], chain[3]] = [chain[3]!, chain[2]!];
    expect(await verify(chain)).toEqual({ ok: false, entries: 2, firstBreak: { seq: 3, problem: 'entries 3 and 4 are swapped (4 comes before 3)' } });
  });

  it('detects an entry removed, and several', async () => {
    const chain = copy(await buildChain(6));
    expect(await verify(chain.filter((_, i) => i !== 3))).toEqual({ ok: false, entries: 3, firstBreak: { seq: 4, problem: 'entry 4 is missing (5 follows 3)' } });
    expect(await verify(chain.filter((_, i) => i !== 2 && i !== 3))).toMatchObject({ firstBreak: { seq: 3, problem: 'entries 3–4 are missing (5 follows 2)' } });
    expect(await verify(chain.slice(1))).toMatchObject({ firstBreak: { seq: 1, problem: 'entry 1 is missing (2 follows the start of the ledger)' } });
  });

  it('detects an entry duplicated', async () => {
    const chain = copy(await buildChain(4));
    expect(await verify([...chain.slice(0, 3), chain[1]!, chain[3]!])).toMatchObject({ firstBreak: { seq: 2, problem: 'entry 2 appears again after entry 3' } });
  });

  it('detects an entry re-signed with another key, naming that key', async () => {
    const chain = copy(await buildChain(5));
    const other = new Wallet(OTHER_KEY);
    chain[2]!.signature = (await other.signTypedData({ ...domain }, entryTypes(), { ...chain[2]!.entry })).toLowerCase();
    expect(await verify(chain)).toEqual({ ok: false, entries: 2, firstBreak: { seq: 3, problem: `entry 3: signature is by ${other.address}, not this node (${node})` } });
  });

  it('detects a whole chain forged by another key (it names that node)', async () => {
    const other = new Wallet(OTHER_KEY);
    const forged = await buildChain(2, other);
    expect(await verify(forged)).toMatchObject({ firstBreak: { seq: 1, problem: `entry 1 names node ${other.address}, not this node (${node})` } });
  });

  it('detects a signature that is not a signature at all', async () => {
    const chain = copy(await buildChain(2));
    chain[1]!.signature = `0x${'11'.repeat(65)}`;
    expect(await verify(chain)).toMatchObject({ firstBreak: { seq: 2, problem: 'entry 2: signature does not verify at all' } });
    chain[1]!.signature = 'not hex';
    expect(await verify(chain)).toMatchObject({ firstBreak: { seq: 2 } });
  });

  it('detects a different chain id (another network)', async () => {
    const chain = await buildChain(2);
    const result = await verifyLedger(chain, { domain: { ...domain, chainId: 1 }, node });
    expect(result).toMatchObject({ ok: false, firstBreak: { seq: 1 } });
  });
});

describe('resuming after a verified head (issue 10 item 8)', () => {
  it('checks only the entries after it, continuing the chain from its hash', async () => {
    const chain = await buildChain(6);
    const full = await verify(chain);
    expect(full).toMatchObject({ ok: true, entries: 6 });
    const hasher = new EntryHasher(domain);
    const head = hasher.hash(parseEntry(chain[2]!.entry));
    const resumed = await verifyLedger(chain.slice(3), { domain, node, from: { seq: 3, head } });
    expect(resumed).toEqual(full);
  });

  it('refuses a continuation that does not link to the verified head, and an entry changed after it', async () => {
    const chain = await buildChain(6);
    const hasher = new EntryHasher(domain);
    const wrongHead = hasher.hash(parseEntry(chain[1]!.entry));
    await expect(verifyLedger(chain.slice(3), { domain, node, from: { seq: 3, head: wrongHead } })).resolves.toMatchObject({
      ok: false,
      entries: 3,
      firstBreak: { seq: 4, problem: 'entry 4: prevHash does not match the hash of entry 3' },
    });
    const changed = copy(chain);
    changed[4] = { entry: { ...changed[4]!.entry, createdAt: changed[4]!.entry.createdAt + 1 }, signature: changed[4]!.signature };
    const head = hasher.hash(parseEntry(chain[2]!.entry));
    await expect(verifyLedger(changed.slice(3), { domain, node, from: { seq: 3, head } })).resolves.toMatchObject({ ok: false, firstBreak: { seq: 5 } });
  });
});
