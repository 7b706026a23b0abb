import { fromBase64Url, isBase64Url, toBase64Url, utf8Encode, type Bytes } from '../../shared/crypto/bytes';
import type { HdmsApi } from '../../shared/ipc/contract';
import type { JournalRecord } from '../../shared/ipc/journal-contract';
import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import { sealJson } from '../../shared/journal/sealed-json';
import { canonicalJson } from './canonical-json';
import type { Sealer } from './vault-crypto';

/**
 * The mind's own journal events, and their authenticator.
 *
 * Anyone may seal a meta to the public intake key, so sealing proves nothing about who wrote a
 * record; the body's operator sessions keep strangers from appending, but not a stale session, a
 * copied journal or a compromised body. So every mind event carries, inside its sealed meta,
 *
 *   auth = base64url(HMAC-SHA-256(eventAuthKey, canonicalJson([AUTH_DOMAIN, kind, operator, objects, meta without auth])))
 *
 * under a key derived from the master secret (vault-keys.ts "hdms/vault/v1/event-auth"). The views'
 * replay and the ledger writer apply a mind event only when it is genuine (EventAuthWindow).
 *
 * Known limits:
 *   - Replay: seq and time are the body's, so they are not covered; an exact copy of a genuine
 *     record appended again is genuine too (a second "access" identical to a real one).
 *   - Legacy window: records written before this change carry no authenticator. They are accepted
 *     up to the first genuine `vault.eventAuth` marker (written by the first unlocked session after
 *     the upgrade, EventAuthMarker); a record forged before that marker was written is accepted too.
 */

/** The field of a mind event's sealed meta that holds its authenticator. */
export const AUTH_FIELD = 'auth';
const AUTH_DOMAIN = 'hdms/mind-event/v1';

export interface MindEvent {
  readonly kind: string;
  readonly operator: string | null;
  readonly objects: readonly string[];
  /** The event's sealed meta without its authenticator (a JSON object). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** The authenticator of one event. */
export async function mindEventAuth(key: CryptoKey, event: MindEvent): Promise<string> {
  return toBase64Url(new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, authInput(event))));
}

function authInput(event: MindEvent): Bytes {
  return utf8Encode(canonicalJson([AUTH_DOMAIN, event.kind, event.operator, [...event.objects], event.meta]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Appends one of the mind's own journal events. The meta is sealed to the intake public key
 * before it leaves the mind, with its authenticator inside; `operator` is the acting operator's
 * pseudonymous id (deriveOperatorId(ledgerKey, localAccountId)), never a name or a keyring id.
 */
export async function appendMindEvent(
  api: Pick<HdmsApi, 'journal'>,
  sealer: Sealer,
  eventAuthKey: CryptoKey,
  input: { readonly kind: string; readonly operator: string; readonly meta: unknown; readonly objects?: readonly string[] },
): Promise<number> {
  if (!isPlainObject(input.meta) || AUTH_FIELD in input.meta) throw new TypeError('A mind event’s meta is a JSON object without an `auth` field.');
  const objects = [...(input.objects ?? [])];
  const auth = await mindEventAuth(eventAuthKey, { kind: input.kind, operator: input.operator, objects, meta: input.meta });
  const { seq } = await api.journal.append({
    kind: input.kind,
    operator: input.operator,
    objects,
    meta: await sealJson(sealer, { ...input.meta, [AUTH_FIELD]: auth }),
  });
  return seq;
}

/**
 * What a mind record's authenticator says: `genuine` (it verifies), `unauthenticated` (there is
 * none: a record from before the change, or a forgery), `forged` (one that does not verify; no
 * version of the mind ever wrote such a record). `meta` is the opened meta without `auth`.
 */
export interface MindEventCheck {
  readonly status: 'genuine' | 'unauthenticated' | 'forged';
  readonly meta: unknown;
}

/** Checks the authenticator of a mind record whose sealed meta is opened (`opened`). */
export async function checkMindEvent(key: CryptoKey, record: Pick<JournalRecord, 'kind' | 'operator' | 'objects'>, opened: unknown): Promise<MindEventCheck> {
  if (!isPlainObject(opened) || !(AUTH_FIELD in opened)) return { status: 'unauthenticated', meta: opened };
  const { [AUTH_FIELD]: auth, ...meta } = opened;
  if (typeof auth !== 'string' || !isBase64Url(auth, 32)) return { status: 'forged', meta };
  // verify(), not a comparison of strings: constant time.
  const holds = await globalThis.crypto.subtle.verify('HMAC', key, fromBase64Url(auth), authInput({ kind: record.kind, operator: record.operator, objects: record.objects, meta }));
  return { status: holds ? 'genuine' : 'forged', meta };
}

/**
 * Which mind records count, in journal order. `markerSeq` is the seq of the first genuine
 * `vault.eventAuth` marker (null until one is seen): unauthenticated records before it are legacy
 * and accepted, from it on they are rejected; forged ones are always rejected, and so is a marker
 * without a valid authenticator. Decided by seq, not by what was seen, so replaying any range
 * again (or a rebuild from 0) decides every record the same way.
 */
export class EventAuthWindow {
  constructor(public markerSeq: number | null) {}

  admit(record: Pick<JournalRecord, 'seq' | 'kind'>, status: MindEventCheck['status']): boolean {
    if (status === 'forged') return false;
    const isMarker = record.kind === MIND_KINDS.eventAuth;
    if (status === 'genuine') {
      if (isMarker && (this.markerSeq === null || record.seq < this.markerSeq)) this.markerSeq = record.seq;
      return true;
    }
    if (isMarker) return false;
    return this.markerSeq === null || record.seq < this.markerSeq;
  }
}
