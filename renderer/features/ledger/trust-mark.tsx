import type { EntryTrust } from './ledger-format';

/** An entry's verification state: the word, with a symbol drawn by the stylesheet — never colour alone. */
export function TrustMark({ trust, label }: { trust: EntryTrust; label: string }) {
  return <span className={`trust trust--${trust.state}`}>{label}</span>;
}
