import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import type { Transport } from '../../../../shared/ipc/api-client';
import { createApiClient } from '../../../../shared/ipc/api-client';
import { methods, type EventName, type HdmsApi, type MethodName } from '../../../../shared/ipc/contract';
import { METHOD_ACCESS, ROLES_OF_ACCESS } from '../../../../shared/ipc/method-access';
import { sessionProofMessage } from '../../../../shared/crypto/operator-signing';
import type { KeySlot } from '../../../../shared/crypto/key-slots';
import type { WireResult } from '../../../../shared/ipc/errors';
import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { KeyringSchema, type Keyring, type OperatorSession } from '../../../../shared/ipc/vault-contract';
import { createSealer } from '../../../../shared/crypto/envelope';
import { ENVELOPE_HEADER_LENGTH } from '../../../../shared/crypto/envelope-format';
import { fromBase64Url, toBase64Url, utf8Encode } from '../../../../shared/crypto/bytes';
import { generateDemoMessages } from '../../../../electron/intake/demo/demo-population';

/**
 * A backup "file" of the fake body: the keyring, the journal and the header of an envelope sealed
 * to the vault's intake key (so restoring needs the vault's keys to unwrap its data key).
 */
export interface FakeBackup {
  readonly keyring: Keyring;
  readonly journal: readonly JournalRecord[];
  readonly envelopeHeader: string;
  readonly createdAt: string;
}

/**
 * An in-memory body for the mind's unit tests: the contract's vault, journal and demo methods with
 * the body's documented behaviour (validated requests, keyring revisions, a growing unlock delay,
 * intake sealed to the keyring's public key as `intake.demo` records, erasure tombstones), and
 * backups kept in `backups` (pass one map to two bodies to restore the one's backup in the other).
 */
export interface FakeBody {
  readonly transport: Transport;
  readonly api: HdmsApi;
  readonly journal: JournalRecord[];
  keyring: Keyring | null;
  now: number;
  calls: { method: MethodName; payload: unknown }[];
  /** The OS keychain's one entry (with `keychain: true`); tests may replace or tamper with it. */
  keychainEntry: { operatorId: string; key: string } | null;
  /** Makes vault.keychainStore refuse (a keychain that fails). */
  keychainStoreFails: boolean;
  readonly backups: Map<string, FakeBackup>;
  /** Sealed objects by id (intake raw bytes), served by objects.read. */
  readonly objects: Map<string, Uint8Array>;
  /** The operator session the mind proved (the body's per-connection session), or null. */
  session: OperatorSession | null;
  /** Pushes an event to the mind, as the body does (for what the fake does not emit by itself). */
  emit(name: EventName, payload: unknown): void;
}

/** For tests that drive the fake body without a mind's unlock: an administrator's session. */
export const TEST_ADMIN_SESSION: OperatorSession = { operatorId: 'op_test-admin', role: 'admin', slotId: 'slot_test' };

/** What a handler throws to answer as the body refuses (E_BAD_REQUEST by default). */
class Refusal extends Error {
  constructor(
    message: string,
    readonly code: 'E_BAD_REQUEST' | 'E_FORBIDDEN' | 'E_CONFLICT' | 'E_UNAVAILABLE' = 'E_BAD_REQUEST',
  ) {
    super(message);
  }
}

/** Verifies an unlock proof as the body does (ECDSA P-256, P1363 signature, against the slot's key). */
function proofHolds(slot: KeySlot, challenge: Uint8Array, signature: string): boolean {
  if (slot.publicKey === undefined) return false;
  const point = Buffer.from(slot.publicKey, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  return verify('sha256', sessionProofMessage(challenge, slot.id), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
}

export function createFakeBody(options: { seed?: number; now?: Date; keychain?: boolean; backups?: Map<string, FakeBackup>; handlers?: Partial<Record<MethodName, (payload: never) => Promise<unknown> | unknown>> } = {}): FakeBody {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const failures = new Map<string, { count: number; until: number }>();
  const attempts = new Map<string, { slot: KeySlot; challenge: Uint8Array }>();
  const countFailure = (principal: string): number => {
    const count = (failures.get(principal)?.count ?? 0) + 1;
    const delay = Math.min(300_000, 1000 * 2 ** (count - 1));
    failures.set(principal, { count, until: body.now + delay });
    return delay;
  };
  const roleOf = (principal: string): OperatorSession['role'] | null => {
    if (principal === 'recovery') return 'admin';
    const operator = body.keyring?.operators.find((o) => o.operatorId === principal);
    return operator === undefined || operator.disabled ? null : operator.role;
  };
  const emit = (name: EventName, payload: unknown): void => {
    for (const listener of [...(listeners.get(name) ?? [])]) listener(payload);
  };
  const append = (record: Omit<JournalRecord, 'seq' | 'at'>): number => {
    const seq = body.journal.length + 1;
    body.journal.push({ seq, at: new Date(body.now).toISOString(), ...record });
    return seq;
  };

  const handlers: Partial<Record<MethodName, (payload: never) => Promise<unknown> | unknown>> = {
    'vault.status': () => ({ state: body.keyring === null ? 'absent' : 'locked' }),
    'vault.keyring': () => ({ keyring: body.keyring === null ? null : structuredClone(body.keyring) }),
    'vault.create': ({ keyring }: { keyring: Keyring }) => {
      if (body.keyring !== null) throw new Refusal('A vault exists already.');
      body.keyring = KeyringSchema.parse(keyring);
      emit('vault.changed', { state: 'locked' });
      return { state: 'locked' };
    },
    'vault.updateKeyring': ({ keyring, expectedRevision }: { keyring: Keyring; expectedRevision: number }) => {
      if (body.keyring === null || body.keyring.revision !== expectedRevision || keyring.revision !== expectedRevision + 1) {
        throw new Refusal('Stale keyring revision.');
      }
      body.keyring = KeyringSchema.parse(keyring);
      return { revision: keyring.revision };
    },
    'vault.directory': () => ({
      directory:
        body.keyring === null
          ? null
          : { vaultId: body.keyring.vaultId, operators: structuredClone(body.keyring.operators), slots: body.keyring.slots.map(({ id, kind, operatorId }) => ({ id, kind, operatorId })) },
    }),
    'vault.unlockBegin': ({ operatorId, kind }: { operatorId: string; kind: KeySlot['kind'] }) => {
      const principal = kind === 'recovery' ? 'recovery' : operatorId;
      const slot = body.keyring?.slots.find((candidate) => candidate.kind === kind && candidate.operatorId === principal);
      if (slot === undefined || body.keyring === null) throw new Refusal('No such key slot.', 'E_CONFLICT');
      const throttled = kind === 'passphrase' ? principal : `${kind}:${slot.id}`;
      const admin = body.session?.role === 'admin';
      const retryAfterMs = admin ? 0 : Math.max(0, (failures.get(throttled)?.until ?? 0) - body.now);
      if (retryAfterMs > 0) return { state: 'wait', retryAfterMs };
      const attempt = randomBytes(12).toString('base64url');
      const challenge = new Uint8Array(randomBytes(32));
      attempts.set(attempt, { slot: structuredClone(slot), challenge });
      const retryAfterFailureMs = admin ? 0 : countFailure(throttled);
      return {
        state: 'ready',
        attempt,
        challenge: toBase64Url(challenge),
        slot: structuredClone(slot),
        retryAfterFailureMs,
        ...(slot.publicKey === undefined ? { legacyKeyring: structuredClone(body.keyring) } : {}),
      };
    },
    'vault.unlockFinish': ({ attempt, signature, upgrade }: { attempt: string; signature: string; upgrade?: Keyring }) => {
      const pending = attempts.get(attempt);
      attempts.delete(attempt);
      if (pending === undefined || body.keyring === null) throw new Refusal('Unknown attempt.', 'E_CONFLICT');
      if (upgrade !== undefined) {
        if (pending.slot.publicKey !== undefined || upgrade.revision !== body.keyring.revision + 1) throw new Refusal('Not an upgrade.', 'E_CONFLICT');
        body.keyring = KeyringSchema.parse(upgrade);
      }
      const slot = body.keyring.slots.find((candidate) => candidate.id === pending.slot.id);
      const role = roleOf(pending.slot.operatorId);
      if (slot === undefined || role === null || !proofHolds(slot, pending.challenge, signature)) throw new Refusal('The unlock proof did not verify.', 'E_FORBIDDEN');
      failures.delete(pending.slot.kind === 'passphrase' ? pending.slot.operatorId : `${pending.slot.kind}:${pending.slot.id}`);
      body.session = { operatorId: pending.slot.operatorId, role, slotId: slot.id };
      return { ...body.session };
    },
    'vault.unlockFailed': ({ attempt }: { attempt: string }) => {
      attempts.delete(attempt);
      return {};
    },
    'vault.lock': () => {
      body.session = null;
      return {};
    },
    'vault.session': () => ({ session: body.session === null ? null : { ...body.session } }),
    'vault.activity': () => ({}),
    'vault.keychainStatus': () => ({ available: options.keychain === true }),
    'vault.keychainStore': ({ operatorId, key }: { operatorId: string; key: string }) => {
      if (options.keychain !== true || body.keychainStoreFails) throw new Refusal('No OS keychain.');
      body.keychainEntry = { operatorId, key };
      return {};
    },
    'vault.keychainLoad': () => {
      if (options.keychain !== true) throw new Refusal('No OS keychain.');
      return { entry: body.keychainEntry === null ? null : { ...body.keychainEntry } };
    },
    'vault.keychainClear': () => {
      if (options.keychain !== true) throw new Refusal('No OS keychain.');
      body.keychainEntry = null;
      return {};
    },
    'journal.read': ({ after, limit, withoutMetaOf }: { after: number; limit: number; withoutMetaOf?: string[] }) => {
      const records = body.journal.filter((r) => r.seq > after).slice(0, limit);
      const nextCursor = records.at(-1)?.seq ?? after;
      const skipped = new Set(withoutMetaOf);
      return { records: structuredClone(records).map((r) => (skipped.has(r.kind) ? { ...r, meta: null } : r)), nextCursor, end: nextCursor >= body.journal.length };
    },
    'journal.append': (request: { kind: string; operator: string | null; objects: string[]; meta: string | null }) => {
      const seq = append(request);
      emit('journal.appended', { lastSeq: seq });
      return { seq };
    },
    'vault.erase': ({ erasureSeq, seqs, objects }: { erasureSeq: number; seqs: number[]; objects: string[] }) => {
      if (body.journal[erasureSeq - 1]?.kind !== 'erasure.patient') throw new Refusal('Erase only as part of an erasure record.', 'E_FORBIDDEN');
      let erasedRecords = 0;
      for (const seq of seqs) {
        const index = seq - 1;
        const record = body.journal[index];
        if (record !== undefined && record.kind !== 'erased') {
          body.journal[index] = { seq, at: record.at, kind: 'erased', operator: null, objects: [], meta: null };
          erasedRecords++;
        }
      }
      return { erasedRecords, deletedObjects: objects.length };
    },
    // No exports folder here: no access report names anyone.
    'vault.erasureReports': () => ({ reports: 0 }),
    'backup.export': async () => {
      if (body.keyring === null) throw new Refusal('No vault.');
      const sealer = await createSealer(fromBase64Url(body.keyring.intakePublicKey));
      const sealed = await sealer.seal('backup', utf8Encode('fake backup body'));
      const path = `/backups/fake-${body.backups.size + 1}.hdmsbak`;
      body.backups.set(path, {
        keyring: structuredClone(body.keyring),
        journal: structuredClone(body.journal),
        envelopeHeader: toBase64Url(sealed.subarray(0, ENVELOPE_HEADER_LENGTH)),
        createdAt: new Date(body.now).toISOString(),
      });
      return { path, bytes: sealed.length };
    },
    'backup.inspect': ({ path }: { path: string }) => {
      const backup = body.backups.get(path);
      if (backup === undefined) throw new Refusal('No such backup file.');
      return { keyring: structuredClone(backup.keyring), createdAt: backup.createdAt, envelopeHeader: backup.envelopeHeader, bytes: 1000, erasureRegister: 'beside' as const };
    },
    'backup.verify': ({ path }: { path: string; dataKey: string }) => {
      if (!body.backups.has(path)) throw new Refusal('No such backup file.');
      return {};
    },
    'backup.restore': ({ path }: { path: string; dataKey: string }) => {
      const backup = body.backups.get(path);
      if (backup === undefined) throw new Refusal('No such backup file.');
      if (body.keyring !== null) throw new Refusal('A vault exists already.');
      body.keyring = structuredClone(backup.keyring);
      body.journal.splice(0, body.journal.length, ...structuredClone(backup.journal));
      emit('vault.changed', { state: 'locked' });
      // This fake appends no ledger entries: a backup of it holds none.
      return { records: body.journal.length, objects: 0, erasuresReapplied: 0, erasureRegister: 'beside' as const, backupCreatedAt: backup.createdAt, ledgerSeq: 0 };
    },
    'objects.read': ({ id, offset, length }: { id: string; offset: number; length: number }) => {
      const bytes = body.objects.get(id);
      if (bytes === undefined) throw new Refusal('No such object.');
      return { bytes: toBase64Url(bytes.subarray(offset, offset + length)), size: bytes.length };
    },
    'objects.readBinary': ({ id, offset, length }: { id: string; offset: number; length: number }) => {
      const bytes = body.objects.get(id);
      if (bytes === undefined) throw new Refusal('No such object.');
      return { bytes: bytes.slice(offset, offset + length), size: bytes.length };
    },
    'demo.import': async ({ patients, seed }: { patients: number; seed?: number }) => {
      if (body.keyring === null) throw new Refusal('No vault.');
      const sealer = await createSealer(fromBase64Url(body.keyring.intakePublicKey));
      let messages = 0;
      const generated = generateDemoMessages({ patients, seed: seed ?? options.seed ?? 7, now: options.now ?? new Date('2025-06-01T00:00:00Z') });
      for (const message of generated) {
        const objectId = createHash('sha256').update(message.raw).digest('hex');
        const meta = { v: 1, channel: 'demo', receivedAt: new Date(body.now).toISOString(), objectId, rawBytes: message.raw.length, normalized: message.normalized };
        const sealed = await sealer.seal('journalMetadata', utf8Encode(JSON.stringify(meta)));
        append({ kind: 'intake.demo', operator: null, objects: [objectId], meta: toBase64Url(sealed) });
        messages++;
        if (messages % 10 === 0) emit('demo.progress', { messages, patients: 0, total: patients });
      }
      emit('journal.appended', { lastSeq: body.journal.length });
      return { messages, patients, lastSeq: body.journal.length };
    },
  };

  const transport: Transport = {
    kind: 'websocket',
    async call(method, payload): Promise<WireResult<unknown>> {
      body.calls.push({ method, payload });
      const handler = options.handlers?.[method] ?? handlers[method];
      if (handler === undefined) return { ok: false, error: { code: 'E_UNKNOWN_METHOD', message: `Fake body has no ${method}.` } };
      // The body's access rule, as the real body checks it (sessions are not per connection here: one mind).
      const access = METHOD_ACCESS[method];
      if (access !== 'anyone' && !(access === 'setup' && body.keyring === null)) {
        const roles = ROLES_OF_ACCESS[access === 'setup' ? 'admin' : access];
        if (body.session === null || !roles.includes(body.session.role)) return { ok: false, error: { code: 'E_FORBIDDEN', message: `${method}: not allowed without a session of the right role.` } };
      }
      const parsed = methods[method].request.safeParse(payload);
      if (!parsed.success) return { ok: false, error: { code: 'E_BAD_REQUEST', message: `${method}: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}` } };
      try {
        const value = await handler(parsed.data as never);
        methods[method].response.parse(value);
        return { ok: true, value };
      } catch (error) {
        if (error instanceof Refusal) return { ok: false, error: { code: error.code, message: error.message } };
        throw error;
      }
    },
    subscribe(name, listener) {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
  const body: FakeBody = {
    transport,
    api: createApiClient(transport),
    journal: [],
    keyring: null,
    now: Date.parse('2025-06-01T12:00:00Z'),
    calls: [],
    keychainEntry: null,
    keychainStoreFails: false,
    backups: options.backups ?? new Map(),
    objects: new Map(),
    session: null,
    emit,
  };
  return body;
}

/**
 * Appends an intake-style record as the body's pipeline would: `raw` sealed as an object (kept in
 * `body.objects`), `meta` (with `objectId` filled in when raw is given) sealed as journal metadata.
 */
export async function appendSealedRecord(
  body: FakeBody,
  input: { readonly kind: string; readonly meta: Record<string, unknown>; readonly raw?: string | Uint8Array },
): Promise<{ seq: number; objectId: string | null }> {
  if (body.keyring === null) throw new Error('No vault.');
  const sealer = await createSealer(fromBase64Url(body.keyring.intakePublicKey));
  let objectId: string | null = null;
  if (input.raw !== undefined) {
    const bytes = typeof input.raw === 'string' ? utf8Encode(input.raw) : input.raw;
    const sealed = await sealer.seal('object', bytes);
    objectId = createHash('sha256').update(sealed).digest('hex');
    body.objects.set(objectId, sealed);
  }
  const meta = objectId === null ? input.meta : { ...input.meta, objectId };
  const sealedMeta = await sealer.seal('journalMetadata', utf8Encode(JSON.stringify(meta)));
  const seq = body.journal.length + 1;
  body.journal.push({ seq, at: new Date(body.now).toISOString(), kind: input.kind, operator: null, objects: objectId === null ? [] : [objectId], meta: toBase64Url(sealedMeta) });
  return { seq, objectId };
}

/** Refusal under the name tests import it by (a handler passed in `options.handlers` throws it). */
export { Refusal as BodyRefusal };
