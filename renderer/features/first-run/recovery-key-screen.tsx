import { useEffect, useId, useRef, useState } from 'react';
import { AppHeader } from '../../app/layout/app-header';
import { CopyButton } from '../../app/copy-button';

/** "ABCD-EFGH-…" or "ABCD EFGH …" keep their groups; an ungrouped key is shown in groups of four. */
export function recoveryKeyGroups(key: string): string[] {
  const parts = key.trim().split(/[\s-]+/).filter((part) => part !== '');
  if (parts.length > 1) return parts;
  return key.trim().match(/.{1,4}/g) ?? [];
}

/**
 * Shown once, right after the vault is created: the recovery key, with Copy and Print, and a
 * confirmation that it is stored before the app opens. It is never shown again.
 */
export function RecoveryKeyScreen({ recoveryKey, onContinue }: { recoveryKey: string; onContinue: () => void }) {
  const [stored, setStored] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const explanationId = useId();
  useEffect(() => heading.current?.focus(), []);
  const groups = recoveryKeyGroups(recoveryKey);

  return (
    <div className="first-run-page">
      <AppHeader session={false} />
      <main className="first-run recovery-key-page">
        <h1 ref={heading} tabIndex={-1}>
          Save your recovery key
        </h1>
        <section className="panel panel--lead recovery-key-card" aria-labelledby={explanationId}>
          <h2 id={explanationId}>Your recovery key</h2>
          <p>
            If every passphrase is forgotten, this key is the <strong>only way back into the vault</strong>. Nobody,
            including HDMS Node’s developers, can recover the data without it. It is shown only now.
          </p>
          <p className="recovery-key">
            {groups.map((group, index) => (
              <span key={index} className="recovery-key__group">
                {group}
              </span>
            ))}
          </p>
          <p className="muted recovery-key__advice">
            Print it or write it down and keep it somewhere safe away from this computer, such as the clinic’s safe.
            Do not store it next to the passphrase.
          </p>
          <div className="recovery-key__actions no-print">
            <CopyButton variant="path" value={recoveryKey} label="Copy" />
            <button type="button" className="button" onClick={() => window.print()}>
              Print
            </button>
          </div>
        </section>
        <div className="recovery-key__confirm no-print">
          <label className="checkbox">
            <input type="checkbox" checked={stored} onChange={(event) => setStored(event.target.checked)} />
            <span>I have stored the recovery key</span>
          </label>
          <button type="button" className="button button--primary" disabled={!stored} onClick={onContinue}>
            Continue
          </button>
        </div>
      </main>
    </div>
  );
}
