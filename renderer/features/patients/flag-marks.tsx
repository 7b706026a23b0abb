import type { Flag } from './record-format';

const SYMBOL = { high: '▲', low: '▼', abnormal: '◆' } as const;
const CRITICAL_SYMBOL = { high: '▲▲', low: '▼▼', abnormal: '◆◆' } as const;

/**
 * Abnormal flags as a symbol, the code and (for screen readers and on hover) the word: never colour
 * alone. Critical flags (HH, LL, AA) get a doubled symbol and a filled badge, apart from H, L and A.
 */
export function FlagMarks({ flags }: { flags: readonly Flag[] }) {
  if (flags.length === 0) return null;
  return (
    <span className="flags">
      {flags.map((flag) => (
        <span key={flag.code} className={`flag flag--${flag.direction}${flag.critical ? ' flag--critical' : ''}`} title={flag.label}>
          <span aria-hidden="true">
            {(flag.critical ? CRITICAL_SYMBOL : SYMBOL)[flag.direction]} {flag.code}
          </span>
          <span className="visually-hidden">{flag.label}</span>
        </span>
      ))}
    </span>
  );
}

