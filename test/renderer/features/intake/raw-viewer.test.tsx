// @vitest-environment happy-dom
import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fieldName, segmentName } from '../../../../renderer/features/intake/hl7-field-names';
import { decodeHl7, declaredCharset, delimitersOf, parseHl7Tree } from '../../../../renderer/features/intake/hl7-tree';
import { RawMessageTree } from '../../../../renderer/features/intake/raw-message-view';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';
import { row, lab } from '../../support/clinical-fixtures';
import { QUARANTINE } from '../../support/intake-fixtures';

const ORU = [
  'MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20250301081500||ORU^R01^ORU_R01|MSG0042|P|2.5.1|||AL|NE||UNICODE UTF-8',
  'PID|1||MRN-1001^^^CLINIC^MR~X99^^^OTHER^PI||Müller^Anna^B||19750412|F',
  'OBX|1|SN|2345-7^Glucose^LN||<^5|mmol/L|3.9-5.5|N|||F',
  'ZXT|custom|fields',
].join('\r');

describe('HL7 tree', () => {
  it('splits segments, fields, repetitions and components with field names', () => {
    const tree = parseHl7Tree(ORU);
    expect(tree.segments.map((s) => s.id)).toEqual(['MSH', 'PID', 'OBX', 'ZXT']);
    const msh = tree.segments[0]!;
    expect(msh.fields.slice(0, 3).map((f) => [f.position, f.name, f.value])).toEqual([
      [1, 'Field Separator', '|'],
      [2, 'Encoding Characters', '^~\\&'],
      [3, 'Sending Application', 'LAB'],
    ]);
    expect(msh.fields.find((f) => f.position === 10)).toMatchObject({ name: 'Message Control ID', value: 'MSG0042' });
    const pid3 = tree.segments[1]!.fields.find((f) => f.position === 3)!;
    expect(pid3.name).toBe('Patient Identifier List');
    expect(pid3.repetitions).toHaveLength(2);
    expect(pid3.repetitions[1]!.components.map((c) => c.value)).toEqual(['X99', '', '', 'OTHER', 'PI']);
    expect(tree.segments[2]!.fields.find((f) => f.position === 5)).toMatchObject({ name: 'Observation Value', value: '<^5' });
    expect(tree.segments[3]).toMatchObject({ name: null, fields: [{ position: 1, name: null }, { position: 2, name: null }] });
  });

  it('uses the message’s own delimiters', () => {
    const custom = 'MSH#$*@!#LAB#CLINIC#####ADT$A01#C1#P#2.5.1\rPID#1##M1$$$AUTH$MR*M2##Doe$Jane';
    expect(delimitersOf(custom)).toEqual({ field: '#', component: '$', repetition: '*', escape: '@', subcomponent: '!' });
    const tree = parseHl7Tree(custom);
    expect(tree.segments[0]!.fields.find((f) => f.position === 9)!.repetitions[0]!.components.map((c) => c.value)).toEqual(['ADT', 'A01']);
    const pid3 = tree.segments[1]!.fields.find((f) => f.position === 3)!;
    expect(pid3.repetitions.map((r) => r.value)).toEqual(['M1$$$AUTH$MR', 'M2']);
  });

  it('decodes by MSH-18, and knows the common segments', () => {
    const latin = Uint8Array.from([...'MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5.1||||||8859/1\rPID|1||1||M'].map((c) => c.charCodeAt(0)).concat([0xfc, 0x6c]));
    expect(declaredCharset(latin)).toBe('8859/1');
    expect(decodeHl7(latin).text.endsWith('Mül')).toBe(true);
    expect(decodeHl7(latin, 'UNICODE UTF-8').charset).toBe('UNICODE UTF-8');
    for (const segment of ['MSH', 'EVN', 'PID', 'PV1', 'ORC', 'OBR', 'OBX', 'NTE', 'AL1', 'DG1', 'RXA', 'MRG', 'TXA', 'ERR', 'MSA']) {
      expect(segmentName(segment)).not.toBeNull();
      expect(fieldName(segment, 1)).not.toBeNull();
    }
    expect(fieldName('OBR', 25)).toBe('Result Status');
    expect(fieldName('RXA', 5)).toBe('Administered Code');
    expect(fieldName('MSA', 2)).toBe('Message Control ID');
  });
});

describe('Raw message viewer', () => {
  it('shows a quarantined message as a segment/field tree', async () => {
    const vault = createFakeVault({ phase: 'unlocked', quarantine: QUARANTINE, raw: { 'q:17': ORU } });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/raw/17', vault);
    await screen.findByRole('heading', { name: 'Raw message (journal sequence 17)' });
    expect(vault.callsTo('openQuarantinedRaw')).toEqual([[17]]);
    const pid = screen.getByRole('table', { name: /PID Patient Identification/ });
    const name = within(pid).getByRole('row', { name: /PID-5/ });
    expect(name.textContent).toContain('Patient Name');
    expect(within(pid).getByRole('list', { name: 'Components of PID-5' }).textContent).toContain('PID-5.2 Anna');
    expect(screen.getByRole('table', { name: /ZXT Segment/ })).toBeTruthy();
    expect(screen.getByRole('link', { name: '← Back to the intake monitor' })).toBeTruthy();
  });

  it('opens the raw message of a record from its detail page', async () => {
    const glucose = row('p-1.0000000a.0', lab('2345-7', 'Glucose', 5, 'mmol/L', '2025-03-01T08:15:00+01:00'));
    const patient = makePatient(1, {}, [{ ...glucose, source: { ...glucose.source, channel: 'hl7-mllp', messageId: 'MSG0042', mapping: 'mapped', hasRaw: true } }]);
    const vault = createFakeVault({ phase: 'unlocked', patients: [patient], raw: { 'r:p-1.0000000a.0': ORU } });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-1/records/p-1.0000000a.0', vault);
    const link = await screen.findByRole('link', { name: 'View raw message' });
    expect(link.getAttribute('href')).toBe('#/patients/p-1/records/p-1.0000000a.0/raw');
    expect(screen.getByText('MSG0042')).toBeTruthy();
    window.location.hash = '#/patients/p-1/records/p-1.0000000a.0/raw';
    await screen.findByRole('table', { name: /OBX Observation\/Result/ });
    expect(vault.callsTo('openRecordRaw')).toEqual([['p-1.0000000a.0']]);
  });
});

describe('RawMessageTree: the charset a reprocess chose (QA s33 D4)', () => {
  it('reads the bytes as the charset chosen at reprocess, and says so', () => {
    // Latin-1 bytes declaring nothing in MSH-18: UTF-8 would show "Sch�fer".
    const bytes = Uint8Array.from(Buffer.from('MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20250301081500||ORU^R01|L-1|P|2.3.1\rPID|1||MRN-1001^^^CLINIC^MR||Schäfer^Max\r', 'latin1'));
    const view = render(<RawMessageTree message={{ seq: 100, objectId: 'o'.repeat(64), bytes, charset: '8859/1', charsetChosenAtReprocess: true }} />);
    expect(view.container.textContent).toContain('read as 8859/1, chosen at reprocess.');
    expect(view.container.textContent).toContain('Schäfer^Max');
    expect(view.container.textContent).not.toContain('Sch\uFFFDfer');
    view.unmount();
    // A charset the header declared is only "read as" it.
    const declared = render(<RawMessageTree message={{ seq: 101, objectId: 'o'.repeat(64), bytes, charset: '8859/1' }} />);
    expect(declared.container.textContent).toContain('read as 8859/1.');
    declared.unmount();
  });
});

// QA s34 D1: a message whose first segment is not MSH (answered AR, ERR 100, as it should be) opened
// in the raw view showed "Delimiters: field `0`" (taken from an "MSH" inside its control id) and a
// nonsense tree.
describe('RawMessageTree: a message without an MSH header, and the plain text view (QA s34 D1)', () => {
  const NO_MSH = ['MSX|^~\\&|LABSYS|NORTHLAB|HDMS|NODE|20260301120000||ORU^R01|NOMSH01|P|2.5.1', 'PID|1||MRN-77^^^NORTHLAB^MR||Müller^Anna'].join('\r');

  it('says there is no MSH at the start and shows the segments as text lines, read with the chosen charset', async () => {
    const bytes = Uint8Array.from(Buffer.from(NO_MSH, 'latin1'));
    const view = render(<RawMessageTree message={{ seq: 120, objectId: 'o'.repeat(64), bytes }} />);
    expect(view.getByText('No MSH segment at the start: shown as text.')).toBeTruthy();
    expect(view.container.textContent).not.toContain('Delimiters');
    expect(view.queryByRole('list', { name: 'Segments' })).toBeNull();
    const lines = view.getByRole('list', { name: 'Segments as text' });
    expect(within(lines).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'MSX|^~\\&|LABSYS|NORTHLAB|HDMS|NODE|20260301120000||ORU^R01|NOMSH01|P|2.5.1',
      'PID|1||MRN-77^^^NORTHLAB^MR||M\uFFFDller^Anna',
    ]);
    // The charset choice still applies.
    const { fireEvent } = await import('@testing-library/react');
    fireEvent.change(view.getByLabelText('Read as'), { target: { value: '8859/1' } });
    expect(within(view.getByRole('list', { name: 'Segments as text' })).getAllByRole('listitem')[1]!.textContent).toBe('PID|1||MRN-77^^^NORTHLAB^MR||Müller^Anna');
  });

  it('offers the plain text view beside the tree for any message', async () => {
    const { fireEvent } = await import('@testing-library/react');
    const view = render(<RawMessageTree message={{ seq: 121, objectId: 'o'.repeat(64), bytes: new TextEncoder().encode(ORU) }} />);
    expect(view.getByRole('list', { name: 'Segments' })).toBeTruthy();
    expect(view.container.textContent).toContain('Delimiters: field |');
    fireEvent.click(view.getByRole('radio', { name: 'Plain text' }));
    expect(view.queryByRole('list', { name: 'Segments' })).toBeNull();
    const lines = within(view.getByRole('list', { name: 'Segments as text' })).getAllByRole('listitem');
    expect(lines.map((item) => item.textContent)).toEqual(ORU.split('\r'));
    fireEvent.click(view.getByRole('radio', { name: 'Tree' }));
    expect(view.getByRole('list', { name: 'Segments' })).toBeTruthy();
  });
});
