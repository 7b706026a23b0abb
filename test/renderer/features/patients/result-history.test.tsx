// @vitest-environment happy-dom
import { cleanup, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../../shared/domain/clinical';
import type { RecordRow } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Leftover of T1 D2/D3: a clinician landing on a struck-through result (withdrawn by an OBX-11 W,
 * deleted by a D, or replaced by a correction) saw no link to what took its place, and the
 * replacement none back to what it replaced. The record page now has "History of this result".
 */

const TIME = '2026-11-24T08:00:00+01:00';

function result(seq: number, code: string, display: string, value: number | null, status: string): RecordRow {
  const core = status === 'F' || status === 'C' || status === 'P' ? { status } : { status: 'F', resultStatus: status };
  const record: Observation = {
    type: 'observation',
    category: 'laboratory',
    code: { code, system: 'LN', display },
    value: value === null ? { kind: 'text', value: '' } : { kind: 'numeric', value, unit: 'mmol/L' },
    orderId: 'ORD-1',
    time: TIME,
    ...(core as Pick<Observation, 'status'>),
  };
  return { recordId: `p-7.${seq}.0`, patientId: '', time: TIME, record, source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq, messageId: `ORU-${seq}`, mapping: 'mapped', hasRaw: true } };
}

const RECORDS = [
  result(10, '2823-3', 'Potassium', 6.9, 'F'),
  result(11, '2823-3', 'Potassium', 6.9, 'W'),
  result(12, '2823-3', 'Potassium', 4.1, 'F'),
  result(20, '2345-7', 'Glucose', 5.4, 'F'),
  result(21, '2345-7', 'Glucose', null, 'D'),
  result(22, '2345-7', 'Glucose', 6.1, 'F'),
  result(30, '2951-2', 'Sodium', 139, 'P'),
  result(31, '2951-2', 'Sodium', 141, 'F'),
  result(40, '2160-0', 'Creatinine', 80, 'F'),
];

async function historyOf(recordId: string): Promise<Record<string, { href: string; text: string }[]>> {
  // One page at a time (a test opens several).
  cleanup();
  const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, RECORDS)] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), `#/patients/p-7/records/${recordId}`, vault);
  await screen.findByRole('heading', { level: 2, name: /: (Potassium|Glucose|Sodium|Creatinine)$/ });
  const region = await waitFor(() => screen.getByRole('region', { name: 'History of this result' }));
  const facts: Record<string, { href: string; text: string }[]> = {};
  for (const row of region.querySelectorAll('.facts__row')) {
    facts[row.querySelector('dt')!.textContent!] = [...row.querySelectorAll('dd a')].map((a) => ({ href: a.getAttribute('href')!, text: a.textContent! }));
  }
  return facts;
}

const href = (recordId: string) => `#/patients/p-7/records/${recordId}`;

describe('the record page links a result to what replaced, withdrew or deleted it, and back', () => {
  it('a withdrawn original names the W that withdrew it and the result sent after it; both link back', async () => {
    const original = await historyOf('p-7.10.0');
    expect(original['Withdrawn by']?.map((link) => link.href)).toEqual([href('p-7.11.0')]);
    expect(original['Replaced by']?.map((link) => link.href)).toEqual([href('p-7.12.0')]);
    expect(original['Replaced by']![0]!.text).toContain('4.1');
  });

  it('the replacement after a withdrawal says what it replaces, and the W what it withdraws', async () => {
    const replacement = await historyOf('p-7.12.0');
    expect(replacement['Replaces']?.map((link) => link.href)).toEqual([href('p-7.10.0')]);
    expect(replacement['Replaces']![0]!.text).toContain('6.9');
    expect(replacement['Replaces']![0]!.text).toContain('withdrawn');
  });

  it('the W says what it withdraws', async () => {
    const withdrawal = await historyOf('p-7.11.0');
    expect(withdrawal['Withdraws']?.map((link) => link.href)).toEqual([href('p-7.10.0')]);
  });

  it('a deleted original names the D and the result sent after it; the D and the new result link back', async () => {
    const original = await historyOf('p-7.20.0');
    expect(original['Deleted by']?.map((link) => link.href)).toEqual([href('p-7.21.0')]);
    expect(original['Replaced by']?.map((link) => link.href)).toEqual([href('p-7.22.0')]);
    expect((await historyOf('p-7.21.0'))['Deletes']?.map((link) => link.href)).toEqual([href('p-7.20.0')]);
    const replacement = await historyOf('p-7.22.0');
    expect(replacement['Replaces']?.map((link) => link.href)).toEqual([href('p-7.20.0')]);
    expect(replacement['Replaces']![0]!.text).toContain('deleted');
  });

  it('a preliminary result names the final one that replaced it, and the final one the preliminary', async () => {
    expect((await historyOf('p-7.30.0'))['Replaced by']?.map((link) => link.href)).toEqual([href('p-7.31.0')]);
    expect((await historyOf('p-7.31.0'))['Replaces']?.map((link) => link.href)).toEqual([href('p-7.30.0')]);
  });

  it('a result with no other version has no history section', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, RECORDS)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.40.0', vault);
    await screen.findByRole('heading', { level: 2, name: /Creatinine/ });
    // The section would come with the results read; wait for the page to have read them.
    await waitFor(() => expect(vault.calls.some((call) => call.method === 'patientResults')).toBe(true));
    expect(screen.queryByRole('region', { name: 'History of this result' })).toBeNull();
  });
});
