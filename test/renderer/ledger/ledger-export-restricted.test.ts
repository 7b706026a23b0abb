import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createLedgerService, type LedgerServiceHost } from '../../../renderer/ledger/create-ledger-service';
import type { LedgerReader } from '../../../renderer/ledger/ledger-reader';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { ledgerDomain } from '../../../shared/ledger/ledger-schema';

/** QA11 D3: an auditor (a restricted session, no signing key) exports the signed ledger through the body. */
describe('ledger export from an auditor’s session', () => {
  it('writes the header and every signed entry from the view the auditor reads; the body journals it', async () => {
    const db = openVaultDb('export-restricted', { indexedDB: new IDBFactory(), IDBKeyRange });
    await db.ledger.bulkPut(
      [1, 2, 3].map((seq) => ({ seq, journalSeq: seq * 10, kind: 'ACCESS', subject: `0x${'1'.repeat(64)}`, operator: `0x${'2'.repeat(64)}`, createdAt: 1_700_000_000_000 + seq, coversTo: seq * 10, entry: { seq }, signature: `0xsig${seq}`, summary: {} })),
    );
    const reader = { domain: ledgerDomain(), address: '0x' + 'a'.repeat(40), intakePublicKey: 'k', db: () => db } as unknown as LedgerReader;
    const written: string[] = [];
    const calls: string[] = [];
    const host: LedgerServiceHost = {
      current: () => null,
      restricted: async () => reader,
      restrictedNow: () => reader,
      appVersion: async () => '1.0.0',
      exportFiles: {
        exportBegin: async ({ kind }) => {
          calls.push(`begin ${kind}`);
          return { handle: 'h'.repeat(32) };
        },
        exportAppend: async ({ text }) => {
          written.push(text);
          return { bytes: text.length };
        },
        exportFinish: async () => {
          calls.push('finish');
          return { path: '/data/exports/ledger-20261206T130000Z.jsonl', bytes: written.join('').length };
        },
        exportAbort: async () => {
          calls.push('abort');
          return {};
        },
      },
    };
    const service = createLedgerService(host, new Set());
    // The file to download is the text the body was sent (issue 11 F4).
    await expect(service.exportLedger()).resolves.toEqual({ path: '/data/exports/ledger-20261206T130000Z.jsonl', entries: 3, file: { name: 'ledger-20261206T130000Z.jsonl', type: 'application/x-ndjson', parts: written } });
    expect(calls).toEqual(['begin ledger', 'finish']);
    const lines = written.join('').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ entries: 3 });
    expect(lines.slice(1).map((line) => line['signature'])).toEqual(['0xsig1', '0xsig2', '0xsig3']);
    db.close();
  });
});
