import type { PatientHit, VaultService } from '../../vault/vault-service';

/** Enough for many screens of scrolling back and forth; decrypted rows beyond it are dropped, oldest first. */
export const HIT_CACHE_LIMIT = 2_000;

/**
 * The decrypted summary rows the result list has asked for, least recently requested dropped
 * first. Lives only while the Patients area is open: locking the vault unmounts it.
 */
export class HitCache {
  private readonly hits = new Map<string, PatientHit>();
  private readonly inFlight = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private version = 0;
  /** The version at which the cache was last cleared: answers to older requests are dropped. */
  private clearedAt = 0;
  error: unknown = null;

  constructor(
    private readonly vault: VaultService,
    private readonly limit = HIT_CACHE_LIMIT,
  ) {}

  get(patientId: string): PatientHit | undefined {
    return this.hits.get(patientId);
  }

  /** Changes only when the cache is cleared: the rows on screen must then be requested again. */
  generation(): number {
    return this.clearedAt;
  }

  /** Changes whenever rows arrive or the cache is cleared (for useSyncExternalStore). */
  snapshot(): number {
    return this.version;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the rows not cached yet, in one call; marks the requested ones as recently used. */
  request(patientIds: readonly string[]): void {
    const missing: string[] = [];
    for (const id of patientIds) {
      const hit = this.hits.get(id);
      if (hit !== undefined) {
        this.hits.delete(id);
        this.hits.set(id, hit);
      } else if (!this.inFlight.has(id)) {
        missing.push(id);
      }
    }
    if (missing.length === 0) return;
    for (const id of missing) this.inFlight.add(id);
    const generation = this.version;
    this.vault.patientHits(missing).then(
      (hits) => {
        for (const id of missing) this.inFlight.delete(id);
        // Cleared meanwhile (an erasure, an import): these rows may be stale.
        if (this.cleared(generation)) return;
        for (const hit of hits) this.hits.set(hit.patientId, hit);
        while (this.hits.size > this.limit) {
          const oldest = this.hits.keys().next().value;
          if (oldest === undefined) break;
          this.hits.delete(oldest);
        }
        this.error = null;
        this.changed();
      },
      (error: unknown) => {
        for (const id of missing) this.inFlight.delete(id);
        this.error = error;
        this.changed();
      },
    );
  }

  clear(): void {
    this.hits.clear();
    this.inFlight.clear();
    this.clearedAt = this.version + 1;
    this.changed();
  }

  private cleared(generation: number): boolean {
    return this.clearedAt > generation;
  }

  private changed(): void {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }
}
