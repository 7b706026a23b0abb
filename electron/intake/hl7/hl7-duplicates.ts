import { hash } from 'node:crypto';
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { AckCode } from './hl7-ack';

/**
 * Duplicate recognition (design §4 rule 4): key = MSH-3 + MSH-4 + MSH-10 (sending application,
 * sending facility, control id) with the SHA-256 of the message's content.
 *
 * - same key, same content → a duplicate: answered as the first was, not stored again;
 * - same key, other content → a conflict: stored, flagged, counted (only when the earlier one was
 *   accepted: a corrected resend of a rejected message is simply new);
 * - an AE (could not store) is never remembered, so a resend is tried again.
 *
 * Persistence (so that recognition survives restarts): an append-only JSON-lines file, by default
 * `<data>/vault/intake/hl7-dedupe.jsonl`, one line per remembered answer:
 *
 *   {"k":"<SHA-256 of the key>","p":"<SHA-256 of the content>","a":"AA","t":<epoch ms>}
 *
 * Only hashes: no control id, no sender name, no PHI in clear. (The journal's plaintext has no
 * per-message key, and its metadata is sealed to the mind, so the body cannot rebuild this index
 * from the journal while the vault is locked.) The line is written (write(2), page cache) after the
 * journal's fsync and before the ACK goes out: it survives the process being killed; after a power
 * cut a few recent lines may be missing, so a resend of those would be stored twice; the normalized
 * metadata carries the same hashes (`hl7.dedupeKey`, `hl7.payloadSha256`) for the mind to fold such
 * a pair. Entries older than `retentionDays` are dropped when the file is loaded, and the file is
 * rewritten (atomically) when it holds more than twice the live entries.
 */

export interface DedupeKey {
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly controlId: string;
}

export type DedupeVerdict =
  | { readonly status: 'new' }
  | { readonly status: 'duplicate'; readonly ack: AckCode }
  | { readonly status: 'conflict' };

export interface Hl7Dedupe {
  /** The verdict for a key and content hash (does not remember anything). */
  check(keyHash: string, payloadHash: string): DedupeVerdict;
  /** Remembers the answer given (after the record is durable, before the ACK is sent). */
  remember(keyHash: string, payloadHash: string, ack: AckCode): Promise<void>;
  /** Number of keys remembered. */
  readonly size: number;
  close(): Promise<void>;
}

/**
 * SHA-256 (hex) in one call: `crypto.hash` (Node 20.12+; the engines field asks for 20.19) skips the
 * Hash object that `createHash().update().digest()` builds. Strings are hashed as UTF-8 either way.
 */
const sha256Hex = (data: string | Uint8Array): string => hash('sha256', data, 'hex');

/** SHA-256 (hex) of a dedupe key: what is stored and compared. */
export function dedupeKeyHash(key: DedupeKey): string {
  return sha256Hex(`hl7-dedupe/v1\0${key.sendingApplication}\0${key.sendingFacility}\0${key.controlId}`);
}

export function payloadHash(text: string | Uint8Array): string {
  return sha256Hex(text);
}

/**
 * The answers remembered under one key, by content hash, in the order first remembered. Nearly
 * every key has one content: it is held inline, and a Map is made only for a second one.
 */
interface Entry {
  readonly payload: string;
  ack: AckCode;
  /** Further contents under the same key (a conflict, a corrected resend), null when none. */
  more: Map<string, AckCode> | null;
  time: number;
}

class DedupeIndex {
  readonly map = new Map<string, Entry>();
  lines = 0;

  check(keyHash: string, payload: string): DedupeVerdict {
    const entry = this.map.get(keyHash);
    if (entry === undefined) return { status: 'new' };
    const ack = entry.payload === payload ? entry.ack : entry.more?.get(payload);
    if (ack !== undefined) return { status: 'duplicate', ack };
    // Only an accepted message makes a different one under its key a conflict (a fixed resend of
    // a rejected message is new).
    if (entry.ack !== 'AR' && entry.ack !== 'CR') return { status: 'conflict' };
    if (entry.more !== null) for (const code of entry.more.values()) if (code !== 'AR' && code !== 'CR') return { status: 'conflict' };
    return { status: 'new' };
  }

  add(keyHash: string, payload: string, ack: AckCode, time: number): void {
    const entry = this.map.get(keyHash);
    if (entry === undefined) {
      this.map.set(keyHash, { payload, ack, more: null, time });
    } else {
      if (entry.payload === payload) entry.ack = ack;
      else (entry.more ??= new Map()).set(payload, ack);
      entry.time = Math.max(entry.time, time);
    }
    this.lines++;
  }

  *entries(): Generator<string> {
    for (const [k, entry] of this.map) {
      yield JSON.stringify({ k, p: entry.payload, a: entry.ack, t: entry.time });
      if (entry.more !== null) for (const [p, a] of entry.more) yield JSON.stringify({ k, p, a, t: entry.time });
    }
  }

  get liveLines(): number {
    let count = 0;
    for (const entry of this.map.values()) count += entry.more === null ? 1 : 1 + entry.more.size;
    return count;
  }
}

/** An in-memory index: tests, benches, and file import dry runs. */
export function createMemoryDedupe(): Hl7Dedupe {
  const index = new DedupeIndex();
  return {
    check: (k, p) => index.check(k, p),
    async remember(k, p, a) {
      index.add(k, p, a, Date.now());
    },
    get size() {
      return index.map.size;
    },
    async close() {},
  };
}

export interface OpenDedupeOptions {
  /** The JSON-lines file (created with its folder when missing). */
  readonly file: string;
  /** Forget answers older than this; default 365 days. */
  readonly retentionDays?: number;
  readonly now?: () => number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ACK_CODES = new Set(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);

/** Opens (or creates) the persisted index. A torn last line (a crash mid-write) is ignored. */
export async function openHl7Dedupe(options: OpenDedupeOptions): Promise<Hl7Dedupe> {
  const now = options.now ?? Date.now;
  const horizon = now() - (options.retentionDays ?? 365) * 86_400_000;
  const index = new DedupeIndex();
  await mkdir(path.dirname(options.file), { recursive: true });
  let text = '';
  try {
    text = await readFile(options.file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let fileLines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    fileLines++;
    try {
      const value = JSON.parse(line) as { k?: unknown; p?: unknown; a?: unknown; t?: unknown };
      if (typeof value.k !== 'string' || !HEX64.test(value.k) || typeof value.p !== 'string' || !HEX64.test(value.p)) continue;
      if (typeof value.a !== 'string' || !ACK_CODES.has(value.a) || typeof value.t !== 'number') continue;
      if (value.t < horizon) continue;
      index.add(value.k, value.p, value.a as AckCode, value.t);
    } catch {
      // A torn line: skipped.
    }
  }
  if (fileLines > 2 * index.liveLines + 1000 || (text !== '' && !text.endsWith('\n'))) {
    // Compact: write the live entries to a temp file, fsync, rename over.
    const temp = `${options.file}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile([...index.entries()].map((line) => `${line}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, options.file);
  }
  let handle: FileHandle | null = await open(options.file, 'a');
  // Appends are serialized so lines never interleave, and coalesced: lines remembered while a
  // write is under way go out together in the next single write (one syscall for a burst of
  // messages instead of one each). Each remember() resolves once the write holding its line did.
  let chain: Promise<void> = Promise.resolve();
  let batch: { lines: string[]; written: Promise<void> } | null = null;
  return {
    check: (k, p) => index.check(k, p),
    remember(k, p, a) {
      const t = now();
      index.add(k, p, a, t);
      const line = `${JSON.stringify({ k, p, a, t })}\n`;
      if (batch !== null) {
        batch.lines.push(line);
        return batch.written;
      }
      const lines = [line];
      const written = chain.then(async () => {
        batch = null; // later lines start the next batch
        if (handle === null) throw new Error('The HL7 duplicate index is closed.');
        await handle.write(lines.join(''));
      });
      batch = { lines, written };
      chain = written.catch(() => undefined);
      return written;
    },
    get size() {
      return index.map.size;
    },
    async close() {
      await chain;
      const closing = handle;
      handle = null;
      if (closing !== null) {
        await closing.sync().catch(() => undefined);
        await closing.close();
      }
    },
  };
}
