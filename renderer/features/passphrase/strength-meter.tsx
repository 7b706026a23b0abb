import type { PassphraseStrength } from '../../../shared/crypto/passphrase-strength';
import { STRENGTH_WORDS } from './passphrase-policy';

/**
 * The strength of the passphrase being typed: a meter, the word (never colour alone) and advice.
 * Not a live region: the field points at it with aria-describedby, so it is read on demand
 * rather than after every keystroke.
 */
export function StrengthMeter({ id, estimate, empty }: { id: string; estimate: PassphraseStrength; empty: boolean }) {
  const word = STRENGTH_WORDS[estimate.score];
  return (
    <div id={id} className="strength">
      <meter
        className={`strength__meter strength__meter--${estimate.score}`}
        min={0}
        max={4}
        low={2}
        high={3}
        optimum={4}
        value={empty ? 0 : estimate.score}
        aria-label="Passphrase strength"
      />
      <p className="strength__word">Strength: {empty ? 'none yet' : word}</p>
      {!empty && estimate.feedback.length > 0 && (
        <ul className="strength__feedback">
          {estimate.feedback.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
