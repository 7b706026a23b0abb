import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { IntakeQuarantine } from '../../../../shared/domain/clinical';
import { createVaultService } from '../../../../renderer/vault/create-vault-service';
import { RAW_START_BYTES } from '../../../../renderer/vault/quarantine/quarantine-service';
import { bytesEqual } from '../../../../shared/crypto/bytes';
import { appendSealedRecord, createFakeBody, type FakeBody } from '../support/fake-body';

const DICOM_QUARANTINED: IntakeQuarantine = { type: 'quarantine', channel: 'dicom', disposition: 'rejected', reason: 'The data set is cut short.', acks: [], messageType: 'DICOM', source: 'CT_1@10.0.0.9' };

async function quarantine(body: FakeBody, raw: Uint8Array): Promise<number> {
  const { seq } = await appendSealedRecord(body, {
    kind: 'intake.quarantine',
    raw,
    meta: { v: 1, channel: 'dicom', receivedAt: '2026-03-01T08:21:00.000Z', rawBytes: raw.length, quarantine: DICOM_QUARANTINED },
  });
  return seq;
}

async function unlockedVault() {
  const body = createFakeBody();
  const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
  await vault.ready();
  await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
  return { body, vault };
}

describe('VaultService: a quarantined input opened raw', () => {
  it('says its channel, so a DICOM instance is shown as DICOM; a small one comes whole', async () => {
    const { body, vault } = await unlockedVault();
    const raw = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
    const seq = await quarantine(body, raw);
    await vault.sync();
    const opened = await vault.openQuarantinedRaw(seq);
    expect(opened.channel).toBe('dicom');
    expect(opened.totalBytes).toBeUndefined();
    expect(bytesEqual(opened.bytes, raw)).toBe(true);
  });

  it('opens only the start of one over 64 MiB (read in ranges), with its whole size, and journals the viewing', async () => {
    const { body, vault } = await unlockedVault();
    const large = new Uint8Array(65 * 1024 * 1024 + 777);
    for (let i = 0; i < large.length; i += 1024) large[i] = (i >>> 10) & 0xff;
    const seq = await quarantine(body, large);
    await vault.sync();
    const before = body.journal.length;
    const callsBefore = body.calls.length;
    const opened = await vault.openQuarantinedRaw(seq);
    expect(opened.channel).toBe('dicom');
    expect(opened.totalBytes).toBe(large.length);
    expect(opened.bytes.length).toBe(RAW_START_BYTES);
    expect(bytesEqual(opened.bytes, large.subarray(0, RAW_START_BYTES))).toBe(true);
    // The head and the chunks of the first 4 MiB: nothing near the 65 MiB was read.
    const asked = body.calls.slice(callsBefore).filter((call) => call.method === 'objects.readBinary').map((call) => (call.payload as { length: number }).length);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.reduce((sum, length) => sum + length, 0)).toBeLessThan(9 * 1024 * 1024);
    expect(body.journal.slice(before).map((record) => record.kind)).toEqual(['view.quarantined']);
  });
});
