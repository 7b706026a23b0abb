import path from 'node:path';
import type { KeySlot } from '../../shared/crypto/key-slots';
import type { Keyring } from '../../shared/ipc';
import { AuditJournal } from '../audit/audit-journal';
import { FailedUnlocks } from '../audit/failed-unlocks';
import { AccessRefusal, ATTEMPT_TTL_MS, RECOVERY_PRINCIPAL, roleOf } from '../auth/operator-sessions';
import { checkIntakePublicKey } from '../crypto/node-sealer';
import { registerErasure } from '../backup/erasure-register';
import { removeReportsNaming, reportsNaming } from '../ledger/access-report-subjects';
import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import type { KeychainPort } from './keychain';
import { checkKeyringChange, checkKeyringInvariants, checkLegacyUpgrade, checkSlotScopes } from './keyring-policy';
import { KeyringRefusal } from './keyring-store';
import { AutoLockPolicy } from './auto-lock-policy';
import { SessionIdleLock } from './session-idle-lock';
import { throttleDelayMs, UnlockThrottle } from './unlock-throttle';
import { NO_VAULT, VaultStateRefusal } from './vault-host';

/** Journal kind of a keyring change (the mind journals who changed what, as operator.changed). */
export const KEYRING_CHANGED_KIND = 'vault.keyringChanged';
/** The mind's erasure record, which must precede the body's part of an erasure. */
export const ERASURE_KIND = 'erasure.patient';

/**
 * Whose failures an attempt on this slot counts toward: the operator's passphrase (whichever slot
 * holds it), or that one recovery or keychain slot (a fresh keychain slot starts afresh).
 */
function throttleIdOf(slot: Pick<KeySlot, 'kind' | 'operatorId' | 'id'>): string {
  return slot.kind === 'passphrase' ? slot.operatorId : `${slot.kind}:${slot.id}`;
}

/** No OS keychain on this host, or none usable now. */
export class KeychainRefusal extends KeyringRefusal {}

/** `vault.*`: the vault's presence, keyring, unlock throttle, OS keychain and erasure. */
export function vaultFeature(services: BodyServices) {
  const { config, log, vault, keyrings, vaultLock, sessions } = services;
  const throttle = new UnlockThrottle(config.dataDir, log);
  const audit = new AuditJournal(vault, log, config.host);
  /** Attempts whose begin counted a failure (an administrator's switch is not counted), until proven or settled as failed. */
  const failedUnlocks = new FailedUnlocks((attempt) => {
    if (!services.isRunning()) return;
    const { operatorId, role, slot, failuresBefore, begunAt } = attempt;
    audit.sessionInBackground({ event: 'unlockFailed', operatorId, role, slot, failedAttempts: failuresBefore }, begunAt);
  }, ATTEMPT_TTL_MS);
  sessions.onConnectionEnd((connectionId) => failedUnlocks.connectionEnded(connectionId));

  /*
   * Sign-in, lock and failed unlocks in the audit trail. The body is the witness: it checks every
   * unlock's proof, and it counts the failures. It cannot sign a ledger entry (the node's identity
   * key comes from the master secret, which it never holds), so it journals each event, sealed,
   * and the next administrator's or clinician's session signs it. Begin counts every attempt as a
   * failure until a proof clears it; an attempt becomes a failed unlock of its own (unlockFailed)
   * once it can no longer succeed (failed-unlocks.ts: superseded, refuted, locked or closed,
   * expired), whether or not anyone signs in later. A sign-in also carries the count of failures
   * on that slot since its last sign-in.
   */
  const slotKindOf = (slotId: string, keyring: Keyring): 'passphrase' | 'recovery' | 'keychain' => keyring.slots.find((slot) => slot.id === slotId)?.kind ?? 'passphrase';
  sessions.onEnd((session, reason) => {
    // A lock is journaled by vault.lock itself, before it answers, and a session a keyring change
    // ended by vault.updateKeyring (`revoked`). Windows closed because the body
    // stops are not journaled: the body writes and emits nothing once it has announced its stop.
    if (reason !== 'closed' || !services.isRunning()) return;
    void keyrings.read().then(
      (keyring) =>
        services.isRunning() &&
        audit.sessionInBackground({ event: 'closed', operatorId: session.operatorId, role: session.role, slot: keyring === null ? 'passphrase' : slotKindOf(session.slotId, keyring), failedAttempts: 0 }),
      () => undefined,
    );
  });

  /** Ends a connection's session and journals the lock (`idle`: an auto-lock, the mind's or the body's). */
  const lockSession = async (connectionId: string, idle: boolean): Promise<void> => {
    const session = sessions.get(connectionId);
    sessions.end(connectionId, 'locked');
    if (session === null) return;
    const keyring = await keyrings.read();
    await audit.session({
      event: 'locked',
      operatorId: session.operatorId,
      role: session.role,
      slot: keyring === null ? 'passphrase' : slotKindOf(session.slotId, keyring),
      failedAttempts: 0,
      ...(idle ? { idle: true as const } : {}),
    });
  };

  /*
   * The auto-lock, enforced here too (session-idle-lock.ts): a session whose window reported no
   * activity for its minutes plus the grace is locked as the mind's auto-lock would, journaled the
   * same way (`idle: true`), and the windows are told. A session the mind locked first is gone by
   * then (its end clears the timer), so no lock is journaled twice. Intake does not depend on
   * sessions: the listeners keep running, as after any lock.
   */
  const idleLock = new SessionIdleLock((connectionId) => {
    if (!services.isRunning() || sessions.get(connectionId) === null) return;
    log.info('operator session locked by the body after its idle minutes');
    void lockSession(connectionId, true).then(
      () => services.isRunning() && services.events.emit('vault.sessionsEnded', {}),
      (error: unknown) => log.warn({ errorClass: (error as Error).constructor.name }, 'idle lock could not be journaled'),
    );
  });
  sessions.onConnectionEnd((connectionId) => idleLock.end(connectionId));
  const autoLockPolicy = new AutoLockPolicy(config.dataDir, log);
  /**
   * Whether any session has opened since this body started. The keychain's key opens the vault as
   * its administrator with nobody present; it is served for startup's unattended unlock only, not
   * to a page opened later (a window closed at the lock screen and opened again from the tray
   * starts its page afresh, and would otherwise unlock as that administrator).
   */
  let sessionOpenedSinceStart = false;

  const requireKeychain = (): KeychainPort => {
    if (config.keychain === undefined || !config.keychain.available()) {
      throw new KeychainRefusal(
        'E_UNAVAILABLE',
        config.keychain === undefined
          ? 'This host offers no OS keychain (the browser shell never does); unlock with a passphrase.'
          : 'The OS keychain is not available for this user account now; unlock with a passphrase.',
      );
    }
    return config.keychain;
  };

  const requireKeyring = async (): Promise<Keyring> => {
    const keyring = await keyrings.read();
    if (keyring === null) throw new VaultStateRefusal('E_CONFLICT', NO_VAULT);
    return keyring;
  };

  return bodyFeature<'vault'>({
    name: 'vault',
    handlers: {
      'vault.status': () => vault.refresh(false),
      'vault.directory': async () => {
        const keyring = await keyrings.read();
        return {
          directory:
            keyring === null
              ? null
              : { vaultId: keyring.vaultId, operators: [...keyring.operators], slots: keyring.slots.map(({ id, kind, operatorId }) => ({ id, kind, operatorId })) },
        };
      },
      'vault.keyring': async () => ({ keyring: await keyrings.read() }),
      /*
       * Unlock, one attempt at a time: the body counts the attempt as a failure before it serves
       * the slot, and only a signature from the slot's own signing key (which only opening the
       * slot yields) clears it. A caller cannot reset the delay by reporting, and cannot collect
       * every slot to guess offline without waiting.
       */
      'vault.unlockBegin': async ({ operatorId, kind }, context) => {
        const keyring = await requireKeyring();
        const slot = keyring.slots.find((candidate) => candidate.kind === kind && candidate.operatorId === (kind === 'recovery' ? RECOVERY_PRINCIPAL : operatorId));
        if (slot === undefined) throw new AccessRefusal('E_CONFLICT', kind === 'keychain' ? 'This vault has no keychain slot for that operator.' : 'No such key slot in this vault.');
        // Per slot kind: a stale keychain key must not delay the operator's passphrase (and the
        // recovery and keychain keys are 256 random bits: nothing to guess there anyway).
        const throttleId = throttleIdOf(slot);
        // An administrator's session (the recovery holder's too) may set any passphrase anyway, so
        // its switch to the operator whose passphrase it just set is not slowed down.
        const admin = sessions.get(context.connectionId)?.role === 'admin';
        const { retryAfterMs } = admin ? { retryAfterMs: 0 } : await throttle.retryAfterMs(throttleId);
        if (retryAfterMs > 0) return { state: 'wait' as const, retryAfterMs };
        for (const superseded of failedUnlocks.supersede(context.connectionId)) sessions.drop(superseded);
        const { attempt, challenge } = sessions.begin(context.connectionId, slot, keyring);
        const counted = admin ? { failures: 0 } : await throttle.report(throttleId, false);
        if (!admin) {
          failedUnlocks.begun(attempt, {
            connectionId: context.connectionId,
            operatorId: slot.operatorId,
            role: roleOf(slot.operatorId, keyring) ?? 'admin',
            slot: slot.kind,
            failuresBefore: Math.max(0, counted.failures - 1),
            begunAt: new Date(),
          });
        }
        log.info({ kind, failuresBefore: Math.max(0, counted.failures - 1) }, 'unlock attempt served');
        return {
          state: 'ready' as const,
          attempt,
          challenge: challenge.toString('base64url'),
          slot,
          retryAfterFailureMs: throttleDelayMs(counted.failures),
          // A format-1 slot has no key to prove with: its upgrade rewrites the keyring (see unlockFinish).
          ...(slot.publicKey === undefined ? { legacyKeyring: keyring } : {}),
        };
      },
      'vault.unlockFinish': async ({ attempt, signature, upgrade }, context) => {
        let keyring = await requireKeyring();
        if (upgrade !== undefined) {
          const pending = sessions.pending(context.connectionId, attempt);
          if (pending === null) throw new AccessRefusal('E_CONFLICT', 'That unlock attempt is unknown or expired; start again.');
          const open = await vault.require();
          const proof = Buffer.from(signature, 'base64url');
          // Checked before anything is written: the upgrade changes that one slot only, and its new key proves the attempt.
          ({ next: keyring } = await keyrings.update(upgrade, keyring.revision, (current, next) => {
            checkLegacyUpgrade(current, next, pending.slot.id);
            if (!sessions.proofHolds(context.connectionId, attempt, proof, next)) throw new AccessRefusal('E_FORBIDDEN', 'The unlock proof did not verify.');
          }));
          const { seq } = await open.storage.journal.append({ kind: KEYRING_CHANGED_KIND, operator: null, objects: [], meta: null });
          open.onDurable(seq);
          log.info({ kind: pending.slot.kind }, 'format-1 key slot upgraded at unlock');
        }
        let session: ReturnType<typeof sessions.finish>;
        try {
          session = sessions.finish(context.connectionId, attempt, Buffer.from(signature, 'base64url'), keyring, upgrade !== undefined);
        } catch (error) {
          // Unknown, expired, or its slot changed meanwhile: this attempt can no longer succeed.
          failedUnlocks.failed(attempt);
          throw error;
        }
        if (session === null) failedUnlocks.failed(attempt);
        const counted = failedUnlocks.proven(attempt);
        if (session === null) {
          log.warn('unlock proof did not verify');
          throw new AccessRefusal('E_FORBIDDEN', 'The unlock proof did not verify.');
        }
        sessionOpenedSinceStart = true;
        const provenSlot = keyring.slots.find((candidate) => candidate.id === session.slotId);
        const cleared = provenSlot === undefined ? 0 : ((await throttle.report(throttleIdOf(provenSlot), true)).cleared ?? 0);
        await audit.session({
          event: 'signedIn',
          operatorId: session.operatorId,
          role: session.role,
          slot: provenSlot?.kind ?? 'passphrase',
          // This attempt was counted as a failure when it began; it is the success.
          failedAttempts: Math.max(0, cleared - (counted ? 1 : 0)),
        });
        idleLock.begin(context.connectionId, await autoLockPolicy.minutes());
        log.info({ role: session.role, recovery: session.operatorId === RECOVERY_PRINCIPAL }, 'operator session opened');
        return { operatorId: session.operatorId, role: session.role, slotId: session.slotId };
      },
      'vault.unlockFailed': async ({ attempt }, context) => {
        // Only the connection that began the attempt speaks for it (no one cancels another's unlock).
        if (sessions.pending(context.connectionId, attempt) === null) return {};
        sessions.drop(attempt);
        if (failedUnlocks.pendingFor(attempt, context.connectionId)) failedUnlocks.failed(attempt);
        return {};
      },
      'vault.lock': async ({ idle }, context) => {
        await lockSession(context.connectionId, idle === true);
        return {};
      },
      /*
       * The minutes are the caller's claim: an administrator's are the workstation's (only an
       * administrator sets the auto-lock); anyone else's may only lock sooner (auto-lock-policy.ts).
       */
      'vault.activity': async ({ autoLockMinutes }, context) => {
        const session = sessions.get(context.connectionId);
        if (session === null) return {};
        if (session.role === 'admin') {
          await autoLockPolicy.set(autoLockMinutes).catch((error: unknown) => {
            log.warn({ code: (error as NodeJS.ErrnoException).code }, 'auto-lock minutes could not be kept');
          });
        }
        idleLock.activity(context.connectionId, AutoLockPolicy.effective(session.role, autoLockMinutes, await autoLockPolicy.minutes()));
        return {};
      },
      'vault.session': async (_request, context) => {
        const session = sessions.get(context.connectionId);
        return { session: session === null ? null : { operatorId: session.operatorId, role: session.role, slotId: session.slotId } };
      },
      'vault.create': ({ keyring }) =>
        vaultLock.run(async () => {
          if (await keyrings.exists()) throw new VaultStateRefusal('E_CONFLICT', 'A vault exists already in this data folder; unlock it, or choose another data folder.');
          checkKeyringInvariants(keyring);
          checkSlotScopes(null, keyring);
          try {
            // node:crypto ECDH only: Electron's WebCrypto AES-KW is not to be relied on (see node-sealer.ts).
            checkIntakePublicKey(Buffer.from(keyring.intakePublicKey, 'base64url'));
          } catch {
            throw new KeyringRefusal('E_BAD_REQUEST', 'keyring.intakePublicKey is not an uncompressed P-256 public key.');
          }
          await keyrings.create(keyring);
          const open = await vault.require();
          // A system event: the body knows operators only by their local account ids, which keys.json
          // links to names. The mind journals who created the vault under the operator's pseudonym.
          const { seq } = await open.storage.journal.append({ kind: 'vault.created', operator: null, objects: [], meta: null });
          open.onDurable(seq);
          log.info({ operators: keyring.operators.length, slots: keyring.slots.length }, 'vault created');
          vault.setState({ state: 'locked' }, true);
          await vault.announceOpen(open);
          return vault.status;
        }),
      'vault.updateKeyring': async ({ keyring, expectedRevision }, context) => {
        const session = sessions.get(context.connectionId);
        if (session === null) throw new AccessRefusal('E_FORBIDDEN', 'The vault is locked: unlock it to do this.');
        const open = await vault.require();
        const { previous, next } = await keyrings.update(keyring, expectedRevision, (current, candidate) => checkKeyringChange(current, candidate, session));
        const { seq } = await open.storage.journal.append({ kind: KEYRING_CHANGED_KIND, operator: null, objects: [], meta: null });
        open.onDurable(seq);
        const revoked = sessions.revalidate(next);
        log.info({ revision: next.revision, operators: next.operators.length, slots: next.slots.length, role: session.role, sessionsEnded: revoked.length }, 'keyring updated');
        if (revoked.length > 0) {
          // Journaled before the answer, like a lock; the keyring is changed already, so a failed
          // write is logged rather than failing the change. Then every window asks whether its
          // session is gone (a disabled operator's window shows the unlock screen at once).
          for (const ended of revoked) {
            const { operatorId, role, slotId } = ended.session;
            await audit.session({ event: 'revoked', cause: ended.reason, by: session.operatorId, operatorId, role, slot: slotKindOf(slotId, previous), failedAttempts: 0 }).catch((error: unknown) => {
              log.warn({ event: 'revoked', code: (error as { code?: unknown }).code }, 'audit record could not be journaled');
            });
          }
          if (services.isRunning()) services.events.emit('vault.sessionsEnded', {});
        }
        return { revision: next.revision };
      },
      'vault.keychainStatus': async () => ({ available: config.keychain?.available() ?? false }),
      'vault.keychainStore': async ({ operatorId, key }) => {
        await requireKeychain().store({ operatorId, key: new Uint8Array(Buffer.from(key, 'base64url')) });
        log.info('keychain entry stored');
        return {};
      },
      'vault.keychainLoad': async () => {
        const keychain = requireKeychain();
        if (sessionOpenedSinceStart) {
          throw new AccessRefusal('E_FORBIDDEN', "The OS keychain's key is served only at the node's start, before anyone has signed in; unlock with a passphrase.");
        }
        const entry = await keychain.load();
        return { entry: entry === null ? null : { operatorId: entry.operatorId, key: Buffer.from(entry.key).toString('base64url') } };
      },
      'vault.keychainClear': async (_request, context) => {
        const keychain = requireKeychain();
        // Startup's clear of a key that no longer opens its slot comes before any session; later only an administrator turns it off.
        if (sessionOpenedSinceStart && sessions.get(context.connectionId)?.role !== 'admin') {
          throw new AccessRefusal('E_FORBIDDEN', 'Only an administrator turns off unlocking automatically on this computer.');
        }
        await keychain.clear();
        log.info('keychain entry cleared');
        return {};
      },
      /*
       * Erasure (GDPR Art. 17), by compaction rather than per-patient keys: the records become
       * `erased` tombstones in a rewritten journal (their seq stays, so cursors and vault:check hold)
       * and the sealed objects are deleted. Per-patient keys would need the body to know which
       * patient a message belongs to before sealing (it must not parse identities into plaintext
       * state) and would keep every erased ciphertext on disk forever; compaction removes them.
       * The journal is rewritten first and the objects deleted after: a crash in between leaves
       * unreferenced objects (vault:check stays clean) and repeating the same erase finishes it.
       * Limits, stated plainly: freed disk blocks are not overwritten (they hold ciphertext only),
       * and backups made before the erasure still hold the data: the erasure register (outside the
       * vault, electron/backup/erasure-register.ts) makes a restore of such a backup erase it again.
       */
      'vault.erasureReports': async ({ subjects }) => ({ reports: (await reportsNaming(path.join(config.dataDir, 'exports'), new Set(subjects))).length }),
      'vault.erase': ({ erasureSeq, seqs, objects, reportSubjects }, context) =>
        vaultLock.run(async () => {
          // Only as part of an erasure this session journaled (the mind's signed, authenticated
          // record comes first), and each such record erases once.
          const session = sessions.get(context.connectionId);
          if (session === null || !session.erasures.delete(erasureSeq)) {
            throw new AccessRefusal('E_FORBIDDEN', `erasureSeq: erase only right after journaling the erasure (${ERASURE_KIND}) in this session.`);
          }
          const open = await vault.require();
          const toDelete = new Set(objects);
          // Outside the vault first, so a restore of an older backup applies this erasure again.
          const registered = await registerErasure(config.dataDir, open.storage.journal, { erasureSeq, seqs, objects });
          const result = await open.storage.journal.rewrite(new Set(seqs), toDelete);
          if (result.stillReferenced.length > 0) {
            await registered.undo();
            throw new VaultStateRefusal(
              'E_CONFLICT',
              `${result.stillReferenced.length} of the objects to delete are still referred to by records that are not being erased; nothing was changed. Erase those records too.`,
            );
          }
          open.ledger.reset();
          await vault.announceErased(seqs);
          // Inline objects went with their records in the rewrite; object files are deleted now.
          let deletedObjects = result.droppedInline.filter((id) => toDelete.has(id)).length;
          for (const id of toDelete) if (await open.storage.objects.delete(id)) deletedObjects++;
          // Access reports the app wrote that name the patient are copies of their data outside the
          // vault: they go too (the mind told which ledger subjects; the body reads no names).
          if (reportSubjects === undefined) {
            log.info({ erasedRecords: result.erased, deletedObjects }, 'erasure applied');
            return { erasedRecords: result.erased, deletedObjects };
          }
          let removedReports = 0;
          try {
            removedReports = await removeReportsNaming(path.join(config.dataDir, 'exports'), new Set(reportSubjects));
          } catch (error) {
            // The vault's part is done and must be reported as done; the files stay, and the log says so (no names).
            log.warn({ code: (error as NodeJS.ErrnoException).code }, 'access reports naming the erased patient could not be removed');
          }
          log.info({ erasedRecords: result.erased, deletedObjects, removedReports }, 'erasure applied');
          return { erasedRecords: result.erased, deletedObjects, removedReports };
        }),
    },
    // Attempts still pending are not journaled once the body stops (see failed-unlocks.ts).
    stop: async () => {
      idleLock.stop();
      await failedUnlocks.stop();
    },
  });
}
