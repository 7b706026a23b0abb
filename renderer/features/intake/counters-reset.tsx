import { useId, useState, type FormEvent } from 'react';
import { useApi } from '../../app/api-context';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { useModalDialog } from '../../app/use-modal-dialog';
import { ActionError } from '../../app/vault-errors';
import { useCurrentOperator } from '../../vault/vault-context';

/**
 * "Reset counters…" (administrators): sets the HL7 totals and per-sender counters back to zero
 * after a confirmation. The body journals the reset as this session's operator, with the figures before.
 */
export function ResetCountersButton({ onReset }: { onReset: () => void }) {
  const operator = useCurrentOperator();
  const [open, setOpen] = useState(false);
  if (operator?.role !== 'admin') return null;
  return (
    <>
      <button type="button" className="button" onClick={() => setOpen(true)}>
        Reset counters…
      </button>
      {open && (
        <ResetDialog
          onClose={() => setOpen(false)}
          onDone={() => {
            setOpen(false);
            onReset();
          }}
        />
      )}
    </>
  );
}

function ResetDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const api = useApi();
  const dialog = useModalDialog();
  const titleId = useId();
  const run = useAction(async () => {
    await api.hl7.resetCounters({});
    onDone();
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!run.busy) void run.run();
  };
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!run.busy) onClose();
      }}
    >
      <form className="form" onSubmit={submit} noValidate>
        <h2 id={titleId}>Reset the HL7 counters?</h2>
        <p>
          The totals and the counters of every sender start again from zero. The messages themselves stay in the vault and in
          the message browser. The journal records that you reset the counters, and what they showed.
        </p>
        <SubmitRow label="Reset counters" problem={null} busy={run.busy} busyText="Resetting…" danger>
          <button type="button" className="button" onClick={onClose} disabled={run.busy}>
            Cancel
          </button>
        </SubmitRow>
        <ActionError error={run.error} />
      </form>
    </dialog>
  );
}
