import { useId, useState, type FormEvent } from 'react';
import { TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { useModalDialog } from '../../app/use-modal-dialog';
import { useVaultRead, type ReadState } from '../../app/use-vault-read';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';

/**
 * GDPR Art. 17 erasure, for administrators: a modal dialog that explains what happens and asks for
 * the patient's identifier to be typed, so the wrong patient is not erased by a slip.
 */
export function ErasePatientDialog({
  patientId,
  name,
  identifier,
  onClose,
  onErased,
}: {
  patientId: string;
  name: string;
  identifier: string;
  onClose: () => void;
  /** With the problem when the erasure's record could not be copied beside the backups. */
  onErased: (erasureRecordProblem: string | null) => void;
}) {
  const vault = useVault();
  const dialog = useModalDialog({ focusFirstInput: true });
  const titleId = useId();
  const descriptionId = useId();
  const [typed, setTyped] = useState('');
  // What goes with the patient besides the chart, counted before anything is erased (issue 11).
  const preview = useVaultRead(`erasure-preview:${patientId}`, () => vault.erasurePreview(patientId));
  const erase = useAction(async () => {
    const { erasureRecordProblem } = await vault.erasePatient(patientId);
    onErased(erasureRecordProblem);
  });

  const problem = typed.trim() === identifier ? null : `Type ${identifier} to confirm.`;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || erase.busy) return;
    void erase.run();
  };

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      onCancel={(event) => {
        event.preventDefault();
        if (!erase.busy) onClose();
      }}
    >
      <form className="form" onSubmit={submit} noValidate>
        <h2 id={titleId}>Erase {name}?</h2>
        <div id={descriptionId}>
          <p>
            <strong>This cannot be undone.</strong> The patient’s records, objects and index entries become
            unrecoverable on this node, including in backups made from now on.
          </p>
          <p>
            An ERASURE entry remains in the journal so the audit trail shows that an erasure happened, when and by
            whom. It holds no personal data.
          </p>
          <ErasureReach preview={preview} />
          <p>
            Not erased: files saved elsewhere through a save or print dialog (documents saved from the viewer,
            datasets, access reports printed or saved as PDF, copies moved out of the exports folder), and access
            reports written before this version, which do not record whom they name: delete them where they are if
            your clinic’s rules require it. Quarantined inputs that match this patient only by name, or by the same
            number under another assigning authority, stay in the quarantine: they may be another person’s.
          </p>
        </div>
        <TextField
          label="Identifier of the patient to erase"
          value={typed}
          onValue={setTyped}
          autoComplete="off"
          spellCheck={false}
          hint={
            <>
              Type <code>{identifier}</code> to confirm.
            </>
          }
        />
        <SubmitRow label="Erase patient" problem={problem} busy={erase.busy} busyText="Erasing…" danger>
          <button type="button" className="button" onClick={onClose} disabled={erase.busy}>
            Cancel
          </button>
        </SubmitRow>
        <ActionError error={erase.error} />
      </form>
    </dialog>
  );
}

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

/**
 * The quarantined inputs and access reports erased with the patient, as counted before. Quarantined
 * inputs are found by an identifier together with its assigning authority, never by a name alone
 * (renderer/vault/records/erasure-quarantine.ts): names are shared, and a number alone may be
 * another authority's number for someone else.
 */
function ErasureReach({ preview }: { preview: ReadState<{ readonly quarantined: number; readonly reports: number }> }) {
  if (preview.phase === 'loading') return <p role="status">Looking for quarantined inputs and access reports that name this patient…</p>;
  if (preview.phase === 'failed') {
    return (
      <p role="alert" className="note note--error">
        Could not count the quarantined inputs and access reports that name this patient: {vaultErrorMessage(preview.error)}
      </p>
    );
  }
  const { quarantined, reports } = preview.value;
  return (
    <>
      <p>
        {quarantined === 0 ? 'No quarantined input names this patient.' : `${plural(quarantined, 'quarantined input that names this patient', 'quarantined inputs that name this patient')} will also be erased.`}{' '}
        They are the inputs this patient’s messages were reprocessed from, and inputs never filed that carry one of the patient’s
        identifiers with its assigning authority (HL7 PID-3, or PID-2/PID-4 when PID-3 has none; DICOM Patient ID with its issuer): the match is on that pair, not on
        a name alone.
      </p>
      <p>
        {reports === 0
          ? 'No access report this app wrote into its exports folder names this patient.'
          : `${plural(reports, 'access report', 'access reports')} this app wrote into its exports folder ${reports === 1 ? 'names' : 'name'} this patient: ${reports === 1 ? 'it' : 'they'} will be removed.`}
      </p>
    </>
  );
}
