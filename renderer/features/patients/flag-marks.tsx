import type { Flag } from './record-format';

const SYMBOL = { high: '▲', low: '▼', abnormal: '◆' } as const;

/** Abnormal flags as a symbol, the code and (for screen readers and on hover) the word: never colour alone. */
export function FlagMarks({ flags }: { flags: readonly Flag[] }) {
  if (flags.length === 0) return null;
  return (
    <span className="flags">
      {flags.map((flag) => (
        <span key={flag.code} className={`flag flag--${flag.direction}`} title={flag.label}>
          <span aria-hidden="true">
            {SYMBOL[flag.direction]} {flag.code}
          </span>
          <span className="visually-hidden">{flag.label}</span>
        </span>
      ))}
    </span>
  );
}
