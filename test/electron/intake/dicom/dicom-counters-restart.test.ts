import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../../electron/body';
import { DIMSE_STATUS } from '../../../../electron/intake/dicom/dimse-command';
import { useTempDirs } from '../../../support/temp-dir';
import { buildTestKeyring, openSealedMeta, signIn, type TestVault } from '../../../support/vault-keyring';
import { call, readJournal } from '../../vault/vault-test-support';
import { CT_IMAGE_STORAGE, TestScu, instanceElements, writeDataset } from './dicom-test-support';
import { freePort } from '../../../support/free-port';

/**
 * T1 F4: the DICOM receiver's counters, calling-AE rows and refusals are kept across a restart
 * (as the HL7 listener's are), and an administrator can reset them (journaled).
 */

const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

const UID = '1.2.826.0.1.3680043.10.999.7.1';

async function body(dataDir: string, dicomPort: number): Promise<Body> {
  const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'info', dicomPort, mllpPort: 0 });
  bodies.push(b);
  return b;
}

async function stopped(b: Body): Promise<void> {
  bodies.splice(bodies.indexOf(b), 1);
  await b.stop('quit');
}

function signInAs(b: Body, vault: TestVault): Promise<void> {
  return signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
}

/** Stores the instances in one association as `callingAeTitle`; the statuses answered. */
async function send(port: number, callingAeTitle: string, uids: readonly string[]): Promise<number[]> {
  const { scu, answer } = await TestScu.associate({ port, callingAeTitle });
  expect(answer.type).toBe('ac');
  const statuses: number[] = [];
  for (const uid of uids) {
    scu.store(3, CT_IMAGE_STORAGE, uid, writeDataset(instanceElements({ sopInstanceUid: uid, patientId: 'MRN4401' })));
    const reply = await scu.next();
    statuses.push(reply.type === 'response' ? reply.command.status! : -1);
  }
  scu.release();
  await scu.next();
  scu.close();
  return statuses;
}

async function refusedAssociation(port: number, callingAeTitle: string, calledAeTitle: string): Promise<void> {
  const { scu, answer } = await TestScu.associate({ port, callingAeTitle, calledAeTitle });
  expect(answer.type).toBe('rj');
  scu.close();
}

describe('the DICOM receiver keeps its counters across a restart (T1 F4)', () => {
  it('a receiver that counted stores, stopped and started again on the same vault, still shows them; a reset (administrators, journaled) survives a restart too', async () => {
    const port = await freePort();
    const dataDir = await tempDir();
    const b = await body(dataDir, port);
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signInAs(b, vault);
    const ok = DIMSE_STATUS.SUCCESS;
    expect(await send(port, 'CT_ONE', [UID, `${UID}.2`, UID])).toEqual([ok, ok, ok]);
    await refusedAssociation(port, 'CT_ONE', 'NOT_HDMS');
    const before = await call(b, 'dicom.status', {});
    expect(before.counters).toMatchObject({ associations: 1, rejectedAssociations: 1, received: 3, stored: 2, duplicates: 1 });
    expect(before.callers).toEqual([
      { aeTitle: 'CT_ONE', address: '127.0.0.1', associations: 1, received: 3, stored: 2, held: 0, duplicates: 1, conflicts: 0, failed: 0, rejected: 1, rejections: { 'called-ae-title': 1 }, calledAeTitles: [{ aeTitle: 'NOT_HDMS', count: 1 }] },
    ]);

    await stopped(b);
    const again = await body(dataDir, port);
    await signInAs(again, vault);
    const after = await call(again, 'dicom.status', {});
    expect(after.counters).toEqual(before.counters);
    expect(after.callers).toEqual(before.callers);
    expect(after.countersSince).toBe(before.countersSince);
    // Counting goes on from what was kept.
    expect(await send(port, 'CT_ONE', [`${UID}.3`])).toEqual([ok]);
    expect((await call(again, 'dicom.status', {})).callers[0]).toMatchObject({ associations: 2, received: 4, stored: 3 });

    const reset = await call(again, 'dicom.resetCounters', {});
    const cleared = await call(again, 'dicom.status', {});
    expect(cleared.counters).toEqual({ associations: 0, rejectedAssociations: 0, echoes: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, protocolErrors: 0, bytes: 0 });
    expect(cleared.callers).toEqual([]);
    expect(cleared.countersSince).toBe(reset.since);
    const record = (await readJournal(again)).find((entry) => entry.seq === reset.seq)!;
    expect(record).toMatchObject({ kind: 'intake.countersReset', operator: null, objects: [] });
    const meta = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')) as unknown;
    expect(meta).toMatchObject({ v: 1, type: 'countersReset', channel: 'dicom', before: { counters: { received: 4 } }, operatorId: vault.operatorId });

    await stopped(again);
    const third = await body(dataDir, port);
    await signInAs(third, vault);
    expect(await send(port, 'CT_TWO', [`${UID}.4`])).toEqual([ok]);
    const last = await call(third, 'dicom.status', {});
    expect(last.counters).toMatchObject({ associations: 1, rejectedAssociations: 0, received: 1, stored: 1, duplicates: 0 });
    expect(last.callers.map((caller) => caller.aeTitle)).toEqual(['CT_TWO']);
  });
});
