import { useId, useState, type FormEvent } from 'react';
import { useApi } from '../../app/api-context';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { useModalDialog } from '../../app/use-modal-dialog';
import { ActionError } from '../../app/vault-errors';
import { useCurrentOperator } from '../../vault/vault-context';

/** What each channel's reset clears, in the dialog's words. */
const CHANNELS = {
  hl7: { button: 'Reset counters…', title: 'Reset the HL7 counters?', clears: 'The totals and the counters of every sender start again from zero.' },
  // Named apart from HL7's button on the same page.
  dicom: { button: 'Reset DICOM counters…', title: "Reset the DICOM receiver's counters?", clears: 'The associations, instances and refusals, in total and for every calling AE title, start again from zero.' },
} as const;

export type CountersChannel = keyof typeof CHANNELS;

/**
 * "Reset counters…" (administrators): sets a channel's counters (HL7: totals and per sender;
 * DICOM: totals and per calling AE title) back to zero after a confirmation. The body journals
 * the reset as this session's operator, with the figures before.
 */
export function ResetCountersButton({ onReset, channel = 'hl7' }: { onReset: () => void; channel?: CountersChannel }) {
  const operator = useCurrentOperator();
  const [open, setOpen] = useState(false);
  if (operator?.role !== 'admin') return null;
  return (
    <>
      <button type="button" className="button" onClick={() => setOpen(true)}>
        {CHANNELS[channel].button}
      </button>
      {open && (
        <ResetDialog
          channel={channel}
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

function ResetDialog({ channel, onClose, onDone }: { channel: CountersChannel; onClose: () => void; onDone: () => void }) {
  const api = useApi();
  const dialog = useModalDialog();
  const titleId = useId();
  const run = useAction(async () => {
    await (channel === 'dicom' ? api.dicom.resetCounters({}) : api.hl7.resetCounters({}));
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
        <h2 id={titleId}>{CHANNELS[channel].title}</h2>
        <p>
          {CHANNELS[channel].clears} {channel === 'dicom' ? 'The instances themselves stay in the vault.' : 'The messages themselves stay in the vault and in the message browser.'} The
          journal records that you reset the counters, and what they showed.
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
