// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DICOM_SETTINGS, type DicomSettings } from '../../../../shared/ipc/dicom-contract';
import { createFakeNode, FakeRefusal } from '../../support/fake-transport';
import { renderApp } from '../../support/render-app';

function nodeWithDicom(portOverride: number | null = null) {
  const node = createFakeNode({ vault: { state: 'unlocked' } });
  let settings: DicomSettings = DEFAULT_DICOM_SETTINGS;
  const answer = () => ({ settings, portOverride, listener: { channel: 'dicom' as const, state: 'listening' as const, address: settings.bindAddress, port: settings.port } });
  node.handle('dicom.getSettings', () => answer());
  node.handle('dicom.updateSettings', (change) => {
    settings = { ...settings, ...(change as Partial<DicomSettings>) };
    return answer();
  });
  return node;
}

async function renderSection(node = nodeWithDicom()) {
  renderApp(node, '#/settings');
  const section = await screen.findByRole('region', { name: 'DICOM receiver' });
  await within(section).findByLabelText('AE title');
  return { node, section };
}

describe('Settings › DICOM receiver', () => {
  it('under a --dicom-port override, the status line says the saved port applies on the next start without it, as the HL7 one does (issue 12 H6 #5)', async () => {
    const { section } = await renderSection(nodeWithDicom(49452));
    expect(within(section).getByRole('status').textContent).toContain(
      'This run uses port 49452 from the command line (--dicom-port); the saved port applies on the next start without it.',
    );
  });

  it('saves the AE title, port, bind address, allowed callers (AE title and address per line) and the issuer map', async () => {
    const { node, section } = await renderSection();
    expect((within(section).getByLabelText('AE title') as HTMLInputElement).value).toBe('HDMS');
    expect((within(section).getByLabelText('Port') as HTMLInputElement).value).toBe('11112');
    fireEvent.change(within(section).getByLabelText('AE title'), { target: { value: 'CLINIC_AE' } });
    fireEvent.change(within(section).getByLabelText('Port'), { target: { value: '104' } });
    fireEvent.change(within(section).getByLabelText('Bind address'), { target: { value: '192.168.1.20' } });
    fireEvent.change(within(section).getByLabelText('Allowed callers'), { target: { value: 'CT_SCANNER 192.168.1.5\n\n MR_1  192.168.1.6 \n' } });
    fireEvent.change(within(section).getByLabelText('Issuer of Patient ID → assigning authority'), { target: { value: 'RADIOLOGY = NORTHCLINIC' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    await within(section).findByText('Receiver settings saved.');
    expect(node.calls.filter((call) => call.method === 'dicom.updateSettings').map((call) => call.payload)).toEqual([
      {
        aeTitle: 'CLINIC_AE',
        port: 104,
        bindAddress: '192.168.1.20',
        allowedCallers: [
          { aeTitle: 'CT_SCANNER', address: '192.168.1.5' },
          { aeTitle: 'MR_1', address: '192.168.1.6' },
        ],
        maxAssociations: 8,
        maxPduLength: 262144,
        artimSeconds: 30,
        idleTimeoutSeconds: 60,
        issuerAuthorities: { RADIOLOGY: 'NORTHCLINIC' },
      },
    ]);
    expect(section.textContent).toContain('Now: Listening as CLINIC_AE on 192.168.1.20, port 104.');
  });

  it('edits the maximum PDU length, ARTIM and idle timeout, each checked in its own field (QA explore-12 D3)', async () => {
    const { node, section } = await renderSection();
    const input = (label: string) => within(section).getByLabelText(label) as HTMLInputElement;
    expect([input('Maximum PDU length (bytes)').value, input('ARTIM timeout (seconds)').value, input('Idle timeout (seconds)').value]).toEqual(['262144', '30', '60']);
    const described = (label: string) =>
      (input(label).getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent)
        .join(' ');
    const save = () => within(section).getByRole('button', { name: 'Save receiver settings' }) as HTMLButtonElement;

    fireEvent.change(input('Maximum PDU length (bytes)'), { target: { value: '1000' } });
    fireEvent.change(input('ARTIM timeout (seconds)'), { target: { value: 'soon' } });
    fireEvent.change(input('Idle timeout (seconds)'), { target: { value: '7200' } });
    expect(described('Maximum PDU length (bytes)')).toMatch(/Maximum PDU length \(bytes\): .*4096/);
    expect(described('ARTIM timeout (seconds)')).toContain('ARTIM timeout (seconds): a whole number from 1 to 600.');
    expect(described('Idle timeout (seconds)')).toMatch(/Idle timeout \(seconds\): .*3600/);
    expect(input('ARTIM timeout (seconds)').getAttribute('aria-invalid')).toBe('true');
    // Trying to send shows the reason next to the button, which it then disables (QA2-11 Q4).
    fireEvent.click(save());
    expect(save().disabled).toBe(true);
    expect(section.textContent).not.toMatch(/maxPduLength|artimSeconds|idleTimeoutSeconds/);

    fireEvent.change(input('Maximum PDU length (bytes)'), { target: { value: '65536' } });
    fireEvent.change(input('ARTIM timeout (seconds)'), { target: { value: '10' } });
    fireEvent.change(input('Idle timeout (seconds)'), { target: { value: '300' } });
    expect(input('Idle timeout (seconds)').getAttribute('aria-invalid')).toBeNull();
    fireEvent.click(save());
    await within(section).findByText('Receiver settings saved.');
    expect(node.calls.filter((call) => call.method === 'dicom.updateSettings').map((call) => call.payload)).toEqual([expect.objectContaining({ maxPduLength: 65536, artimSeconds: 10, idleTimeoutSeconds: 300 })]);
  });

  it('shows the body’s refusal and keeps the form', async () => {
    const node = nodeWithDicom();
    node.handle('dicom.updateSettings', () => {
      throw new FakeRefusal('Allowed callers: listening on 192.168.1.20 lets other computers connect; list the calling AE titles allowed to send, each with its IP address, or bind to 127.0.0.1.');
    });
    const { section } = await renderSection(node);
    fireEvent.change(within(section).getByLabelText('Bind address'), { target: { value: '192.168.1.20' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    expect(await within(section).findByText(/list the calling AE titles allowed to send/)).toBeTruthy();
    expect((within(section).getByLabelText('Bind address') as HTMLInputElement).value).toBe('192.168.1.20');
  });

  it('shows the body’s refusal of a bind address this computer does not have under the Bind address field (QA12 D2)', async () => {
    const node = nodeWithDicom();
    const text = 'Bind address: 10.9.9.9 is not an address of this computer, so nothing could connect to it. Use 127.0.0.1 (this computer only), 0.0.0.0 (every network of this computer) or one of its addresses: 192.168.1.20.';
    node.handle('dicom.updateSettings', () => {
      throw new FakeRefusal(text);
    });
    const { section } = await renderSection(node);
    fireEvent.change(within(section).getByLabelText('Bind address'), { target: { value: '10.9.9.9' } });
    fireEvent.change(within(section).getByLabelText('Allowed callers'), { target: { value: 'MODX 10.9.9.9' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    const field = within(section).getByLabelText('Bind address');
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    const described = (field.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain(text);
    // Said once, under its field.
    expect(section.textContent!.split('is not an address of this computer').length).toBe(2);
    expect(section.textContent).not.toContain('Receiver settings saved.');
  });

  it('names the field, the line and the part of a caller that is not valid, and an AE title with a backslash, before anything is sent (issue 11, Errors)', async () => {
    const { node, section } = await renderSection();
    fireEvent.change(within(section).getByLabelText('AE title'), { target: { value: 'CT\\1' } });
    fireEvent.change(within(section).getByLabelText('Allowed callers'), { target: { value: 'CT_SCANNER 192.168.1.5\nMR_1 mr-host' } });
    const described = (label: string) =>
      within(section)
        .getByLabelText(label)
        .getAttribute('aria-describedby')!
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent);
    expect(described('AE title')).toContain('AE title: an AE title is up to 16 printable ASCII characters without a backslash.');
    expect(described('Allowed callers')).toContain('Allowed callers, line 2, IP address: is not an IP address.');
    // Every bad line at once, each part by the label a person reads (QA s35 T1 F12: "line 2, ae title", one line per save).
    fireEvent.change(within(section).getByLabelText('Allowed callers'), { target: { value: 'CT_SCANNER 192.168.1.5\nMR_1 mr-host\nTHIS_AE_TITLE_IS_TOO_LONG 127.0.0.1\nJUSTONEWORD' } });
    expect(described('Allowed callers')).toContain('Allowed callers, line 2, IP address: is not an IP address; line 3, AE title: takes at most 16 characters; line 4: an AE title, a space and an IP address.');
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    expect((within(section).getByRole('button', { name: 'Save receiver settings' }) as HTMLButtonElement).disabled).toBe(true);
    expect(section.textContent).not.toMatch(/invalid_|allowedCallers|aeTitle/);
    expect(node.calls.some((call) => call.method === 'dicom.updateSettings')).toBe(false);
  });

  it('sets the assigning authority for instances sent without an Issuer of Patient ID in its own labelled field, empty by default (QA12 D1)', async () => {
    const node = nodeWithDicom();
    const { section } = await renderSection(node);
    const noIssuer = within(section).getByLabelText('Assigning authority when no issuer is sent') as HTMLInputElement;
    expect(noIssuer.value).toBe('');
    // The hint says what it does and what leaving it empty means.
    const hint = (noIssuer.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent).join(' ');
    expect(hint).toMatch(/Empty: .*not matched/);
    fireEvent.change(noIssuer, { target: { value: ' RADCLINIC ' } });
    fireEvent.change(within(section).getByLabelText('Issuer of Patient ID → assigning authority'), { target: { value: 'RADIOLOGY = NORTHCLINIC' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    await within(section).findByText('Receiver settings saved.');
    const sent = () => node.calls.filter((call) => call.method === 'dicom.updateSettings').map((call) => (call.payload as Partial<DicomSettings>).issuerAuthorities);
    expect(sent()).toEqual([{ '': 'RADCLINIC', RADIOLOGY: 'NORTHCLINIC' }]);
    // Read back into its own field, not as a line " = RADCLINIC" of the map.
    expect((within(section).getByLabelText('Assigning authority when no issuer is sent') as HTMLInputElement).value).toBe('RADCLINIC');
    expect((within(section).getByLabelText('Issuer of Patient ID → assigning authority') as HTMLTextAreaElement).value).toBe('RADIOLOGY = NORTHCLINIC');
    // Emptied: no authority for instances without an issuer.
    fireEvent.change(within(section).getByLabelText('Assigning authority when no issuer is sent'), { target: { value: '' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    await waitFor(() => expect(sent()).toHaveLength(2));
    expect(sent()[1]).toEqual({ RADIOLOGY: 'NORTHCLINIC' });
  });

  it('says the issuer map and the authority for no issuer apply to instances received from then on, and how to move earlier studies (QA round 4 D7)', async () => {
    const { section } = await renderSection();
    const describedBy = (label: string) =>
      (within(section).getByLabelText(label).getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ');
    for (const label of ['Issuer of Patient ID → assigning authority', 'Assigning authority when no issuer is sent']) {
      const hint = describedBy(label);
      expect(hint).toMatch(/applies to instances received from then on: studies received before stay under the patient they were filed under \(sending them again does not move them: they are duplicates\)/);
      expect(hint).toMatch(/To move them, have the ADT system send a patient merge \(ADT\^A40\) with the patient in PID-3 and, in MRG-1, the Patient ID with the authority it was filed under/);
    }
  });

  it('a map line without an issuer ("= RADCLINIC") points to the field for instances without an issuer (QA12 D1)', async () => {
    const { node, section } = await renderSection();
    const field = within(section).getByLabelText('Issuer of Patient ID → assigning authority');
    fireEvent.change(field, { target: { value: '= RADCLINIC' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    const described = (field.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described.join(' ')).toContain('use “Assigning authority when no issuer is sent”');
    expect(node.calls.some((call) => call.method === 'dicom.updateSettings')).toBe(false);
  });

  it('keeps Save enabled while a field shows a problem, until the person tries to send; trying shows the reason next to the button and sends nothing (README forms rule, QA2-11 Q4)', async () => {
    const { node, section } = await renderSection();
    const save = () => within(section).getByRole('button', { name: 'Save receiver settings' }) as HTMLButtonElement;
    fireEvent.change(within(section).getByLabelText('Port'), { target: { value: 'abc' } });
    // The field says it at once; the button stays.
    expect(within(section).getByLabelText('Port').getAttribute('aria-invalid')).toBe('true');
    expect(save().disabled).toBe(false);
    fireEvent.click(save());
    expect(save().disabled).toBe(true);
    const reason = (save().getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(reason).toContain('Port: a whole number from 0 to 65535.');
    expect(node.calls.some((call) => call.method === 'dicom.updateSettings')).toBe(false);
    // Fixed: the button is back.
    fireEvent.change(within(section).getByLabelText('Port'), { target: { value: '104' } });
    expect(save().disabled).toBe(false);
  });

  it('refuses an issuer map line without "=" (a typo would otherwise map the issuer to itself, silently; QA D18)', async () => {
    const { node, section } = await renderSection();
    const field = within(section).getByLabelText('Issuer of Patient ID → assigning authority');
    fireEvent.change(field, { target: { value: 'RADIOLOGY = NORTHCLINIC\nRADIOLOGY NORTH' } });
    const described = field
      .getAttribute('aria-describedby')!
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain('Issuer of Patient ID → assigning authority, line 2: an issuer, "=" and the assigning authority (for example RADIOLOGY = NORTHCLINIC).');
    fireEvent.click(within(section).getByRole('button', { name: 'Save receiver settings' }));
    expect((within(section).getByRole('button', { name: 'Save receiver settings' }) as HTMLButtonElement).disabled).toBe(true);
    expect(node.calls.some((call) => call.method === 'dicom.updateSettings')).toBe(false);
  });
});
