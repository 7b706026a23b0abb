import { useEffect, useRef, useState } from 'react';
import { AppHeader } from '../../app/layout/app-header';
import { ErrorNote } from '../../app/error-note';
import { useVault } from '../../vault/vault-context';
import type { OperatorSummary } from '../../vault/vault-service';
import { OperatorPicker } from './operator-picker';
import { RecoveryForm } from './recovery-form';
import { UnlockBackupStatus } from './unlock-backup-status';
import { UnlockForm } from './unlock-form';

/**
 * Whom the unlock screen preselects: the operator this window locked out (by hand or idle), so the
 * one who steps away comes back with Enter (and to the page they had open, issue 11); else the
 * only enabled operator. Otherwise nobody: after a fresh start any guess (the first operator was
 * the admin) would turn another person's passphrase into failed unlocks, and delays, on an account
 * that is not theirs, so the screen asks for a choice instead of remembering one in storage.
 */
export function preselectedOperator(enabled: readonly OperatorSummary[], lockedBy: string | null): string {
  if (lockedBy !== null && enabled.some((o) => o.operatorId === lockedBy)) return lockedBy;
  return enabled.length === 1 ? enabled[0]!.operatorId : '';
}

type OperatorsState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly operators: readonly OperatorSummary[] };

/** The locked vault: who is working, and their passphrase (or the recovery key). Nothing clinical is on screen. */
export function UnlockScreen() {
  const vault = useVault();
  const [operators, setOperators] = useState<OperatorsState>({ phase: 'loading' });
  const [operatorId, setOperatorId] = useState('');
  const [mode, setMode] = useState<'unlock' | 'recover'>('unlock');
  const [attempt, setAttempt] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let current = true;
    vault.operators().then(
      (all) => {
        if (!current) return;
        const enabled = all.filter((operator) => !operator.disabled);
        setOperators({ phase: 'ready', operators: enabled });
        setOperatorId((chosen) => (enabled.some((o) => o.operatorId === chosen) ? chosen : preselectedOperator(enabled, vault.lockedBy())));
      },
      (error: unknown) => {
        if (current) setOperators({ phase: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
  }, [vault, attempt]);

  const chosen = operators.phase === 'ready' ? operators.operators.find((o) => o.operatorId === operatorId) : undefined;

  const switchMode = (next: 'unlock' | 'recover'): void => {
    setMode(next);
    heading.current?.focus();
  };

  return (
    <div className="first-run-page">
      <AppHeader />
      <main className="unlock">
        <div className="panel unlock__card">
          <h1 ref={heading} tabIndex={-1}>
            {mode === 'unlock' ? 'Unlock the vault' : 'Recover with the recovery key'}
          </h1>
          {operators.phase === 'loading' && <p role="status">Loading the operators…</p>}
          {operators.phase === 'failed' && (
            <>
              <ErrorNote error={operators.error} what="The operators could not be loaded" />
              <button type="button" className="button" onClick={() => setAttempt((n) => n + 1)}>
                Retry
              </button>
            </>
          )}
          {operators.phase === 'ready' && operators.operators.length === 0 && (
            <p role="alert" className="note note--error">
              Every operator account is disabled. Use the recovery key to open the vault.
            </p>
          )}
          {operators.phase === 'ready' && (
            <>
              {operators.operators.length > 0 && (
                // Focus where the keyboard goes first: the choice when nobody is preselected, else the passphrase.
                <OperatorPicker operators={operators.operators} value={operatorId} onChange={setOperatorId} autoFocus={mode === 'unlock' && operatorId === ''} />
              )}
              {chosen?.role === 'admin' && <UnlockBackupStatus />}
              {mode === 'unlock' ? (
                <>
                  <UnlockForm operatorId={operatorId} operatorName={chosen?.name ?? ''} />
                  <p className="unlock__alternative">
                    <button type="button" className="link-button" onClick={() => switchMode('recover')}>
                      Use the recovery key
                    </button>
                  </p>
                </>
              ) : (
                <>
                  <p className="muted">
                    The recovery key opens the vault when the passphrase is lost; you then choose a new passphrase.
                  </p>
                  <RecoveryForm operatorId={operatorId} />
                  <p className="unlock__alternative">
                    <button type="button" className="link-button" onClick={() => switchMode('unlock')}>
                      Back to unlock
                    </button>
                  </p>
                </>
              )}
            </>
          )}
        </div>
      </main>
    </div>
  );
}
