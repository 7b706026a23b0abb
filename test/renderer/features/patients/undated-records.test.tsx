// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { RecordRow } from '../../../../renderer/vault/vault-service';
import { localDateTime, timeIsReceipt } from '../../../../renderer/features/patients/record-format';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Tester T1 D6: an allergy sent without an onset date (AL1-6 empty) took the receive time and read
 * "Time 2026-12-07 05:23 (UTC)", listed under that day as if documented then.
 */

const RECEIVED = '2026-12-07T05:23:00.000Z';
const source = { messageType: 'ADT^A08', channel: 'hl7-mllp', seq: 4, hasRaw: false };
const UNDATED: RecordRow = { recordId: 'p-7.04.1', patientId: '', time: RECEIVED, record: { type: 'allergy', allergen: { code: '7980', system: 'RXNORM', display: 'Penicillin G' }, severity: 'SV' }, source };
const DATED: RecordRow = { recordId: 'p-7.03.1', patientId: '', time: '2010-01-01T00:00:00Z', record: { type: 'allergy', allergen: { code: '1191', system: 'RXNORM', display: 'Aspirin' }, identified: '2010-01-01' }, source: { ...source, seq: 3 } };

describe('T1 D6: a record without its own date says so, and when it was recorded in local time', () => {
  it('knows which records carry the receipt time, and shows a time in this computer\'s zone', () => {
    expect(timeIsReceipt(UNDATED.record)).toBe(true);
    expect(timeIsReceipt(DATED.record)).toBe(false);
    expect(timeIsReceipt({ type: 'diagnosis', code: { code: 'I10', system: 'I10', display: 'Hypertension' } })).toBe(true);
    const local = new Date(RECEIVED);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(localDateTime(RECEIVED)).toBe(`${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())} ${pad(local.getHours())}:${pad(local.getMinutes())} (local time)`);
  });

  it('the record page says "No onset date recorded" and "recorded on" the message\'s local time, never a UTC "Time"', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [UNDATED, DATED])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.04.1', vault);
    await screen.findByRole('heading', { name: /Penicillin G/ });
    const facts = screen.getAllByRole('definition').map((d) => d.previousElementSibling?.textContent + ': ' + d.textContent);
    expect(facts).toContain(`Time: No onset date recorded; recorded on ${localDateTime(RECEIVED)}`);
    expect(facts).toContain('Identified: No onset date recorded');
    expect(facts.join('\n')).not.toContain('(UTC)');
  });

  it('the records list marks it "recorded", not a clock time that reads as documented then', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [UNDATED, DATED])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
    const links = await screen.findAllByRole('link', { name: 'Penicillin G' });
    const row = links.map((link) => link.closest<HTMLElement>('table.record-table tr')).find((tr) => tr !== null)!;
    const time = within(row).getByText(/recorded/);
    expect(time.textContent).toBe(`recorded ${localDateTime(RECEIVED).slice(11, 16)}`);
    expect(time.getAttribute('title')).toBe(`No onset date recorded; recorded on ${localDateTime(RECEIVED)}`);
  });
});
