/** ::ffff:10.0.0.5 and 10.0.0.5 are the same peer; case and spaces do not matter. */
export function normalizePeerAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

export type PeerRefusal = 'not-allowed' | 'too-many';

/**
 * A listener's connection slots, decided when a peer connects, before it sends a byte (the MLLP
 * listener and the DICOM receiver): with an allow-list, an address on none of its entries is
 * refused; and one address holds at most `maxPerPeer` connections at once, so one host (a flood, a
 * slow loris reconnecting, a sender stuck in a loop) cannot take every slot. Memory is one counter
 * per address with a connection open.
 */
export class PeerSlots {
  private readonly allowed: ReadonlySet<string> | null;
  private readonly open = new Map<string, number>();
  readonly maxPerPeer: number;

  /** `allowed` null: any address; otherwise only these (normalized here). */
  constructor(allowed: Iterable<string> | null, maxPerPeer: number) {
    this.allowed = allowed === null ? null : new Set([...allowed].map(normalizePeerAddress));
    this.maxPerPeer = Math.max(1, Math.floor(maxPerPeer));
  }

  /** Takes a slot for a connection from `address` (normalized), or says why it is refused. */
  take(address: string): PeerRefusal | null {
    if (this.allowed !== null && !this.allowed.has(address)) return 'not-allowed';
    const now = this.open.get(address) ?? 0;
    if (now >= this.maxPerPeer) return 'too-many';
    this.open.set(address, now + 1);
    return null;
  }

  /** Gives back the slot a connection from `address` took (call once, when it closes). */
  release(address: string): void {
    const left = (this.open.get(address) ?? 1) - 1;
    if (left > 0) this.open.set(address, left);
    else this.open.delete(address);
  }

  /** Connections open from `address`. */
  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
