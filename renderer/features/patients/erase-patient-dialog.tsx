import { useId, useState, type FormEvent } from 'react';
import { TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { useModalDialog } from '../../app/use-modal-dialog';
import { ActionError } from '../../app/vault-errors';
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
          <p>
            Not erased here: files exported earlier (access reports, documents saved from the viewer, datasets), which
            are outside the vault: delete them where they were saved if your clinic’s rules require it; and inputs still
            in the quarantine that were never filed under this patient (quarantined inputs they were filed from are
            erased with them).
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
