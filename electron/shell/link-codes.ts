import { createHash, randomBytes } from 'node:crypto';
import { LINK_CODE_LIFETIME_MS, LINK_CODE_PATTERN, type LinkCodeRefusal } from '../../shared/ipc/shell-access';

/** How long a spent or expired code is remembered, so a late second tab hears why it was refused. */
const REMEMBER_MS = 60 * 60 * 1000;
/** Codes remembered at most (each printed link adds one); the oldest are forgotten first. */
const MAX_REMEMBERED = 1024;

interface Entry {
  readonly issuedAt: number;
  usedAt: number | null;
}

/**
 * The one-time codes of the shell's printed links. A code is kept by its SHA-256 only: a lookup
 * by the code itself would time differently for near misses, and the shell holds no usable code
 * in memory once it is spent.
 */
export class LinkCodes {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(): string {
    this.forgetOld();
    const code = randomBytes(32).toString('hex');
    this.entries.set(digest(code), { issuedAt: this.now(), usedAt: null });
    return code;
  }

  /** 'ok' once per code, within its lifetime; afterwards why not. */
  redeem(code: string): 'ok' | LinkCodeRefusal {
    if (!LINK_CODE_PATTERN.test(code)) return 'unknown';
    const entry = this.entries.get(digest(code));
    if (entry === undefined) return 'unknown';
    if (entry.usedAt !== null) return 'used';
    if (this.now() - entry.issuedAt >= LINK_CODE_LIFETIME_MS) return 'expired';
    entry.usedAt = this.now();
    return 'ok';
  }

  private forgetOld(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (now - (entry.usedAt ?? entry.issuedAt) > REMEMBER_MS) this.entries.delete(key);
    }
    // Map order is insertion order: the oldest go first.
    for (const key of this.entries.keys()) {
      if (this.entries.size < MAX_REMEMBERED) break;
      this.entries.delete(key);
    }
  }
}

function digest(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
