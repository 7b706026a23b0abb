import { useEffect, useId, useState } from 'react';
import type { VaultService } from '../../vault/vault-service';

/** The accessible name of the checkbox, on the create form and in Settings › Security. */
export const AUTO_UNLOCK_LABEL = 'Unlock automatically on this computer';

/** The trade-off, in one line, under the checkbox. */
export const AUTO_UNLOCK_TRADE_OFF =
  'After a restart this computer opens the vault by itself, as you, with nobody present: anyone who can sign in to this computer’s user account can read it. Use it only on a physically secure workstation.';

/**
 * Whether the host offers an OS keychain: null until the vault has answered (the checkbox stays
 * hidden meanwhile), then true or false.
 */
export function useAutoUnlockAvailable(vault: VaultService): boolean | null {
  const [available, setAvailable] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    vault.autoUnlockAvailable().then(
      (answer) => {
        if (live) setAvailable(answer);
      },
      () => {
        if (live) setAvailable(false);
      },
    );
    return () => {
      live = false;
    };
  }, [vault]);
  return available;
}

/** "Unlock automatically on this computer" with its trade-off as the description. */
export function AutoUnlockCheckbox({
  checked,
  onChange,
  disabled = false,
  hint = AUTO_UNLOCK_TRADE_OFF,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
  hint?: string;
}) {
  const hintId = useId();
  return (
    <div className="field">
      <label className="checkbox">
        <input
          type="checkbox"
          checked={checked}
          disabled={disabled}
          aria-describedby={hintId}
          onChange={(event) => onChange(event.target.checked)}
        />
        <span>{AUTO_UNLOCK_LABEL}</span>
      </label>
      <p id={hintId} className="field__hint">
        {hint}
      </p>
    </div>
  );
}
