import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import type { CallContext } from '../../../electron/ipc/contract-router';
import { neutraliseCsvFormulas } from '../../../electron/ledger/csv-formulas';
import type { ExportDialogsPort } from '../../../electron/ledger/export-dialogs';
import { fromBase64Url, randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import { createRoleSlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey, signSessionProof } from '../../../shared/crypto/operator-signing';
import { deriveDirectorySecret } from '../../../shared/crypto/vault-keys';
import type { Keyring, MethodName, RequestOf, ResponseOf } from '../../../shared/ipc';
import { accessReportCsv, type AccessReportRow } from '../../../renderer/ledger/access-report';
import { useTempDirs } from '../../support/temp-dir';
import { buildTestKeyring, signIn, type TestVault } from '../../support/vault-keyring';
import { call } from '../vault/vault-test-support';

/**
 * Tester's finding 2: ledger.exportAccessReport was open to every signed-in role and wrote the
 * client's text as it came. Now only the roles that export access reports (administrators,
 * clinicians, auditors) may call it, and the body prefixes with ' every cell a spreadsheet would
 * run as a formula, whatever the client sent.
 */

const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

async function callAs<M extends MethodName>(b: Body, context: CallContext, method: M, payload: RequestOf<M>): Promise<ResponseOf<M>> {
  const result = await b.router.dispatch(method, payload, context);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as ResponseOf<M>;
}

async function refused(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

/** A vault with its admin signed in on the test connection; `as(role)` signs a new operator of that role in on a connection of its own. */
async function withVault(exportDialogs?: ExportDialogsPort): Promise<{ b: Body; vault: TestVault; as: (role: 'researcher' | 'auditor') => Promise<CallContext> }> {
  const b = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0, dicomPort: 0, ...(exportDialogs === undefined ? {} : { exportDialogs }) });
  bodies.push(b);
  const vault = await buildTestKeyring();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
  const as = async (role: 'researcher' | 'auditor'): Promise<CallContext> => {
    const keyring = (await call(b, 'vault.keyring', {})).keyring!;
    const operatorId = toBase64Url(randomBytes(16));
    const key = await generateOperatorSigningKey();
    const secrets = role === 'auditor' ? ({ grant: 'auditor', directorySecret: await deriveDirectorySecret(vault.master) } as const) : ({ grant: 'researcher' } as const);
    const slot = await createRoleSlot({ operatorId, passphrase: 'a long enough passphrase', testOnlyIterations: 1, signingKey: key, secrets });
    const next: Keyring = { ...keyring, revision: keyring.revision + 1, operators: [...keyring.operators, { operatorId, name: role, role, disabled: false }], slots: [...keyring.slots, slot], integrity: toBase64Url(randomBytes(32)) };
    await call(b, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision });
    const context: CallContext = { transport: 'in-process', connectionId: role };
    const begun = await callAs(b, context, 'vault.unlockBegin', { operatorId, kind: 'passphrase' });
    if (begun.state !== 'ready') throw new Error('throttled');
    const signature = await signSessionProof(key, fromBase64Url(begun.challenge), begun.slot.id);
    await callAs(b, context, 'vault.unlockFinish', { attempt: begun.attempt, signature: toBase64Url(signature) });
    return context;
  };
  return { b, vault, as };
}

const ROW: AccessReportRow = {
  kind: 'ACCESS',
  at: '2026-12-04T10:00:00.000Z',
  operator: '-' + 'c'.repeat(42),
  operatorName: 'Ada Admin',
  action: 'Opened the patient',
  subject: `0x${'d'.repeat(64)}`,
  subjectName: 'Quorrimund, Ysolde',
  workstation: 'ward-pc (desktop app)',
  seq: 12,
  entryHash: `0x${'ab'.repeat(32)}`,
  notary: { leafIndex: 3, treeSize: 9, integratedAt: '2026-12-04T10:05:00.000Z' },
};

describe('body: ledger.exportAccessReport (tester finding 2)', () => {
  it('refuses a researcher, before anything is written; an auditor writes one', async () => {
    const { b, as } = await withVault();
    const researcher = await as('researcher');
    const text = 'time_utc,operator\r\n2026-12-04T10:00:00.000Z,Fabricated\r\n';
    const answer = await refused(callAs(b, researcher, 'ledger.exportAccessReport', { text, rows: 1 }));
    expect(answer.code).toBe('E_FORBIDDEN');
    expect(answer.message).toBe('Your role (researcher) does not export access reports: an administrator, a clinician or an auditor does.');
    const auditor = await as('auditor');
    const written = await callAs(b, auditor, 'ledger.exportAccessReport', { text, rows: 1 });
    expect(await readFile(written.path, 'utf8')).toBe(`\uFEFF${text}`);
  });

  it('puts the report’s scope into the file name, the content unchanged; a scope that could carry a name is refused (QA s35 T2 F5)', async () => {
    const { b } = await withVault();
    const text = 'time_utc,patient\r\n2026-12-04T10:00:00.000Z,"Brügger, Anna"\r\n';
    const written = await call(b, 'ledger.exportAccessReport', { text, rows: 1, scope: 'patient-0xdf1548-from-20261201-to-20261207' });
    expect(written.path).toMatch(/access-report-\d{8}T\d{6}Z-patient-0xdf1548-from-20261201-to-20261207\.csv$/);
    expect(await readFile(written.path, 'utf8')).toBe(`\uFEFF${text}`);
    const answer = await refused(call(b, 'ledger.exportAccessReport', { text, rows: 1, scope: 'patient-brugger' }));
    expect(answer.code).toBe('E_BAD_REQUEST');
  });

  it('prefixes a formula cell the client sent unprefixed, quoted or not; the rest of the file is as sent', async () => {
    const { b } = await withVault();
    const text = ['time_utc,patient,action', '2026-12-04T10:00:00.000Z,=HYPERLINK("http://evil"),"+1,2"', '2026-12-04T10:00:01.000Z,"@SUM(A1)",-2+3', '2026-12-04T10:00:02.000Z,\tTab,Plain'].join('\r\n') + '\r\n';
    const written = await call(b, 'ledger.exportAccessReport', { text, rows: 3 });
    expect(await readFile(written.path, 'utf8')).toBe(
      '\uFEFF' +
      ['time_utc,patient,action', '2026-12-04T10:00:00.000Z,"\'=HYPERLINK(""http://evil"")","\'+1,2"', '2026-12-04T10:00:01.000Z,\'@SUM(A1),\'-2+3', '2026-12-04T10:00:02.000Z,\'\tTab,Plain'].join('\r\n') + '\r\n',
    );
  });
});

describe('body: ledger.exportAccessReport writes UTF-8 with a byte-order mark (QA s32 finding 2)', () => {
  it('starts the file with EF BB BF, so Excel on Windows reads "Brügger" and not "BrÃ¼gger"; the text follows as sent', async () => {
    const { b } = await withVault();
    const text = 'time_utc,patient\r\n2026-12-04T10:00:00.000Z,"Brügger, Anna"\r\n';
    const written = await call(b, 'ledger.exportAccessReport', { text, rows: 1 });
    const bytes = await readFile(written.path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe(text);
    expect(written.bytes).toBe(bytes.length);
  });

  it('one mark only, and a formula behind a mark the client sent is still prefixed (a spreadsheet drops the mark and would run it)', async () => {
    const { b } = await withVault();
    const written = await call(b, 'ledger.exportAccessReport', { text: '\uFEFF=HYPERLINK("http://evil"),x\r\n', rows: 0 });
    expect(await readFile(written.path, 'utf8')).toBe('\uFEFF"\'=HYPERLINK(""http://evil"")",x\r\n');
  });

  it('answers with the file as written, mark and prefixes included, so the page can offer it as a download (issue 11 F4: the data folder may be out of the officer\'s reach)', async () => {
    const { b, as } = await withVault();
    const auditor = await as('auditor');
    const written = await callAs(b, auditor, 'ledger.exportAccessReport', { text: 'time_utc,patient\r\n2026-12-04T10:00:00.000Z,=1+2\r\n', rows: 1 });
    const bytes = await readFile(written.path);
    expect(written.text).toBe(bytes.toString('utf8'));
    expect(Buffer.byteLength(written.text, 'utf8')).toBe(bytes.length);
    expect(written.text.startsWith('\uFEFF')).toBe(true);
    expect(written.text).toContain("'=1+2");
  });
});

describe('body: ledger.saveExportAs, the desktop app\'s save dialog for a copy (issue 11 F4)', () => {
  it('copies the export byte for byte where the dialog says, for the roles that may write it; a cancel saves nothing', async () => {
    const target = path.join(await tempDir(), 'report copy.csv');
    const asked: string[] = [];
    let answer: string | null = target;
    const { b, as } = await withVault({ chooseSaveFile: async (name) => (asked.push(name), answer) });
    const auditor = await as('auditor');
    const written = await callAs(b, auditor, 'ledger.exportAccessReport', { text: 'time_utc\r\n=1+2\r\n', rows: 1 });
    const file = path.basename(written.path);
    expect(await callAs(b, auditor, 'ledger.saveExportAs', { file })).toEqual({ path: target });
    expect(asked).toEqual([file]);
    expect((await readFile(target)).equals(await readFile(written.path))).toBe(true);
    answer = null;
    expect(await callAs(b, auditor, 'ledger.saveExportAs', { file })).toEqual({ path: null });
    const researcher = await as('researcher');
    expect((await refused(callAs(b, researcher, 'ledger.saveExportAs', { file }))).code).toBe('E_FORBIDDEN');
    expect(asked).toHaveLength(2);
    // Only an export's own name: no path into or out of the exports folder.
    expect((await refused(call(b, 'ledger.saveExportAs', { file: `../${file}` }))).code).toBe('E_BAD_REQUEST');
    expect((await refused(call(b, 'ledger.saveExportAs', { file: 'access-report-20261204T100000Z.csv' }))).message).toMatch(/no longer in the exports folder/);
  });

  it('is unavailable in the browser shell, which has no save dialog (the page downloads there)', async () => {
    const { b } = await withVault();
    const written = await call(b, 'ledger.exportAccessReport', { text: 'time_utc\r\n', rows: 0 });
    expect((await refused(call(b, 'ledger.saveExportAs', { file: path.basename(written.path) }))).code).toBe('E_UNAVAILABLE');
  });
});

describe('neutraliseCsvFormulas', () => {
  it('leaves the report the mind composes byte for byte (its cells are prefixed already; a pseudonym starting with "-" is no formula)', () => {
    const csv = accessReportCsv([ROW, { ...ROW, subjectName: '=cmd|\' /C calc\'!A0', operatorName: '' , operator: '' }]);
    expect(neutraliseCsvFormulas(csv)).toBe(csv);
  });

  it('prefixes each kind of formula start and keeps quoting right', () => {
    expect(neutraliseCsvFormulas('=1+1,+A1,-A1-1,@x,\tx,"\rx",ok\r\n')).toBe('\'=1+1,\'+A1,\'-A1-1,\'@x,\'\tx,"\'\rx",ok\r\n');
    expect(neutraliseCsvFormulas('"=a ""b""",c\n')).toBe('"\'=a ""b""",c\n');
    expect(neutraliseCsvFormulas('')).toBe('');
  });

  it('refuses text that is not CSV (a quote left open)', () => {
    expect(() => neutraliseCsvFormulas('a,"b\r\n')).toThrow(/not a CSV/);
  });
});
