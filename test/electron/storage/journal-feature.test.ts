import { describe, expect, it } from 'vitest';
import { startBody } from '../../../electron/body';
import { useTempDirs } from '../../support/temp-dir';
import { call, makeTestVault, signIn } from '../vault/vault-test-support';

const tempDir = useTempDirs();

describe('objects.readBinary', () => {
  it('answers the same bytes as objects.read, in slices, each in a buffer of its own (Electron IPC clones whole buffers)', async () => {
    const b = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0, dicomPort: 0 });
    try {
      const vault = await makeTestVault();
      await call(b, 'vault.create', { keyring: vault.keyring });
      await signIn(b, vault);
      await call(b, 'demo.import', { patients: 2, seed: 4 });
      const { records } = await call(b, 'journal.read', { after: 0, limit: 100 });
      const ids = records.flatMap((record) => record.objects);
      expect(ids.length).toBeGreaterThan(1);
      for (const id of ids.slice(0, 5)) {
        const text = await call(b, 'objects.read', { id, offset: 0, length: 4 * 1024 * 1024 });
        const whole = await call(b, 'objects.readBinary', { id, offset: 0, length: 4 * 1024 * 1024 });
        expect(whole.size).toBe(text.size);
        expect(Buffer.from(whole.bytes).equals(Buffer.from(text.bytes, 'base64url'))).toBe(true);
        // Demo messages are small, so inline in their journal records: the answer must not be a view of the record's buffer.
        expect(whole.bytes.byteOffset).toBe(0);
        expect(whole.bytes.buffer.byteLength).toBe(whole.bytes.byteLength);
        expect(structuredClone(whole).bytes.buffer.byteLength).toBe(whole.size);
        const part = await call(b, 'objects.readBinary', { id, offset: 3, length: 10 });
        expect(part.bytes.buffer.byteLength).toBe(10);
        expect(Buffer.from(part.bytes).equals(Buffer.from(text.bytes, 'base64url').subarray(3, 13))).toBe(true);
      }
      await expect(b.router.dispatch('objects.readBinary', { id: ids[0], offset: 0, length: 4 * 1024 * 1024 + 1 }, { transport: 'in-process', connectionId: 'test' })).resolves.toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
    } finally {
      await b.stop('quit');
    }
  });
});

describe('a client\'s out-of-range read (QA: the refusal named the data folder)', () => {
  it('journal.read past the last record and objects.read of an unknown object are refused without a path', async () => {
    const dataDir = await tempDir();
    const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0, dicomPort: 0 });
    try {
      const vault = await makeTestVault();
      await call(b, 'vault.create', { keyring: vault.keyring });
      await signIn(b, vault);
      const context = { transport: 'in-process', connectionId: 'test' } as const;
      const past = await b.router.dispatch('journal.read', { after: 99_999, limit: 1 }, context);
      expect(past).toEqual({ ok: false, error: expect.objectContaining({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/^The cursor 99999 is past the journal's last record \d+; rebuild the views from the start\.$/) }) });
      const unknown = await b.router.dispatch('objects.read', { id: 'a'.repeat(64), offset: 0, length: 10 }, context);
      expect(unknown).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
      expect(JSON.stringify(unknown)).not.toContain(dataDir);
    } finally {
      await b.stop('quit');
    }
  });
});

describe('journal.read without the meta of some kinds (issue 11: the ledger batches intake by kind, time and objects)', () => {
  it('answers records of the kinds named in withoutMetaOf with meta null and every other record as it is', async () => {
    const b = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0, dicomPort: 0 });
    try {
      const vault = await makeTestVault();
      await call(b, 'vault.create', { keyring: vault.keyring });
      await signIn(b, vault);
      await call(b, 'demo.import', { patients: 2, seed: 4 });
      const whole = await call(b, 'journal.read', { after: 0, limit: 100 });
      const demoKinds = [...new Set(whole.records.map((record) => record.kind).filter((kind) => kind.startsWith('intake.')))];
      expect(demoKinds.length).toBeGreaterThan(0);
      expect(whole.records.filter((record) => record.kind.startsWith('intake.')).every((record) => record.meta !== null)).toBe(true);

      const slim = await call(b, 'journal.read', { after: 0, limit: 100, withoutMetaOf: demoKinds });
      expect(slim.nextCursor).toBe(whole.nextCursor);
      expect(slim.records.map((record) => record.seq)).toEqual(whole.records.map((record) => record.seq));
      for (const [i, record] of slim.records.entries()) {
        const before = whole.records[i]!;
        expect(record).toEqual(demoKinds.includes(record.kind) ? { ...before, meta: null } : before);
      }
      expect(whole.records.some((record) => !demoKinds.includes(record.kind) && record.meta !== null)).toBe(true);
    } finally {
      await b.stop('quit');
    }
  });
});
