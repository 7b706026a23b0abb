/**
 * Every journal record kind, in one place for both halves (design §2, §6). A kind is plaintext in
 * the journal (vault:check counts them), so it names a category, never what happened to whom.
 *
 *   body    intake.<channel> (accepted intake), intake.quarantine / .reprocessed / .discarded,
 *           intake.countersReset,
 *           vault.created, ledger.entry (sealed by the mind, appended by the body's ledger.append),
 *           audit.session, audit.exported, audit.settings (AUDIT_KINDS),
 *           backup.scheduled, backup.failed, backup.restored
 *   journal journal.repaired and the `erased` tombstone: written by the journal itself only
 *   mind    view.access, operator.changed, erasure.patient, export.*, settings.*, vault.autoUnlock,
 *           vault.eventAuth: appended through journal.append (MIND_EVENT_KIND), sealed by the mind,
 *           each with an authenticator in its sealed meta (renderer/vault/mind-events.ts)
 */

/**
 * Any kind (`intake.demo`, `view.access`, `vault.autoUnlock`): words joined by dots, dashes or
 * underscores, each starting with a lowercase letter or digit (camelCase inside a word is allowed,
 * because the mind's event kinds use it).
 */
export const JOURNAL_KIND_PATTERN = /^[a-z][a-zA-Z0-9]*(?:[._-][a-z0-9][a-zA-Z0-9]*)*$/;
export const MAX_KIND_LENGTH = 64;

/** Kinds only the journal itself writes. */
export const REPAIRED_KIND = 'journal.repaired';
/**
 * What an erased record becomes (a journal rewrite): same seq and time, no operator, no objects,
 * no metadata. Written only by a rewrite, never appended.
 */
export const ERASED_KIND = 'erased';
export const RESERVED_KIND_PREFIX = 'journal.';

/** The body's record of a new vault (no meta). */
export const VAULT_CREATED_KIND = 'vault.created';

/**
 * Backups the body made or put back (electron/backup/backup-journal.ts; counts as a plaintext note
 * and, sealed, `{v: 1, act, at, …counts}`): `backup.scheduled` (a scheduled backup, made whether or
 * not anyone was signed in; `{bytes, pruned}`) and `backup.restored` (this journal was restored
 * from a backup; `{erasures, records, objects}`: what the erasure register made the restore erase
 * again), and `backup.failed` (a backup that could not be made, by hand or scheduled; `{scheduled: 0|1}`,
 * the reason in words, no path, only in the sealed meta; tester T2 F10). Manual exports are the
 * mind's `export.backup`.
 */
export const BACKUP_KINDS = {
  scheduled: 'backup.scheduled',
  failed: 'backup.failed',
  restored: 'backup.restored',
} as const;

/** Accepted intake, one kind per channel (the body's intake pipeline). */
export const INTAKE_RECORD_KINDS = ['intake.demo', 'intake.hl7', 'intake.dicom', 'intake.device', 'intake.file'] as const;
export type IntakeRecordKind = (typeof INTAKE_RECORD_KINDS)[number];

/** The quarantine: a quarantined input (body), and its resolution (body, on the mind's request). */
export const QUARANTINE_KINDS = {
  quarantined: 'intake.quarantine',
  reprocessed: 'intake.reprocessed',
  discarded: 'intake.discarded',
} as const;

/**
 * The HL7 counters (totals and per sender, kept across restarts) were set back to zero by an
 * operator (body, on the mind's request; sealed meta: what they showed before).
 */
export const INTAKE_COUNTERS_RESET_KIND = 'intake.countersReset';

/** What the intake pipeline writes: accepted intake of every channel, and the quarantine. */
export const INTAKE_KINDS = [...INTAKE_RECORD_KINDS, QUARANTINE_KINDS.quarantined] as const;
export type IntakeKind = (typeof INTAKE_KINDS)[number];

export function isIntakeRecordKind(kind: string): kind is IntakeRecordKind {
  return (INTAKE_RECORD_KINDS as readonly string[]).includes(kind);
}

/** A signed ledger entry (its sealed meta: ledger-meta.ts). */
export const LEDGER_ENTRY_KIND = 'ledger.entry';
/**
 * The network notary's receipt for a ledger entry (its sealed meta: ledger-meta.ts
 * LedgerReceiptMetaSchema), written by the body's ledger sync, with the plaintext note
 * `{ledgerSeq, leafIndex}`; the views mark the entry notarized from it.
 */
export const LEDGER_RECEIPT_KIND = 'ledger.receipt';
/**
 * The body's ledger sync saw the notary show two checkpoints that do not extend one another (its
 * sealed meta: ledger-meta.ts LedgerAlarmMetaSchema, both signed notes); the mind signs a
 * NOTARY_ALARM ledger entry for it.
 */
export const LEDGER_ALARM_KIND = 'ledger.alarm';

/**
 * A relay message that arrived for this node (issue 10 item 9), written by the body's relay inbox
 * as received: its sealed meta (relay-meta.ts) holds the envelope, still encrypted to the node's
 * message key; the mind opens it when unlocked. No plaintext note: who writes to whom stays sealed.
 */
export const RELAY_MESSAGE_KIND = 'relay.message';

/**
 * What the body witnesses for the audit trail (sealed metas in audit-meta.ts): an operator's
 * session opened (its proof verified; with the failed unlocks before it) or ended (lock, window
 * closed), and an export the body wrote for a session of any role. Written by the body only (the
 * mind's journal.append takes MIND_EVENT_KIND, which these are not); the next clinical session
 * signs a ledger entry for each.
 */
export const AUDIT_KINDS = {
  session: 'audit.session',
  exported: 'audit.exported',
  /**
   * An administrator changed a setting the body keeps (the HL7 listener, the DICOM receiver, the
   * backup destination and schedule): which one, by whom (the session's account id), what changed
   * (old → new, non-PHI values only). A SETTINGS_CHANGE ledger entry.
   */
  settings: 'audit.settings',
} as const;

/** The mind's own events (sealed metas in mind-meta.ts). */
export const MIND_KINDS = {
  access: 'view.access',
  /** A quarantined input's raw bytes were opened (they may name a patient; no patient view id exists). */
  quarantineAccess: 'view.quarantined',
  operatorChanged: 'operator.changed',
  erasure: 'erasure.patient',
  backupExported: 'export.backup',
  /** The vault opened itself at startup through the OS keychain slot (no one typed a passphrase). */
  autoUnlock: 'vault.autoUnlock',
  /** "Unlock automatically on this computer" was switched on or off. */
  autoUnlockSetting: 'settings.autoUnlock',
  /** An administrator set the workstation's "Lock automatically after" (mind-meta.ts AutoLockSettingMetaSchema): a SETTINGS_CHANGE entry. */
  autoLockSetting: 'settings.autoLock',
  /** The ledger's exports (an EXPORT entry each). */
  ledgerExported: 'export.ledger',
  nodeInfoExported: 'export.nodeInfo',
  /** An encapsulated document (a PDF of a study) saved from the viewer as a file: an EXPORT of its patient. */
  documentExported: 'export.document',
  /** The institution's name and role (a SETTINGS_CHANGE entry; the `institution` meta row). */
  institution: 'settings.institution',
  /**
   * Ends the legacy window: from this record on (the first one with a valid authenticator) a mind
   * event without one is rejected (renderer/vault/mind-events.ts).
   */
  eventAuth: 'vault.eventAuth',
  /** A relay message this node sent (relay-meta.ts RelaySentMetaSchema: to whom, the id, the payload). */
  messageSent: 'message.sent',
  /** A device session (one association) was assigned to a patient by the staff member at the workstation (device-meta.ts DeviceAssignmentMetaSchema). */
  deviceAssigned: 'device.assigned',
  /** An administrator approved or rejected a device (device-meta.ts DeviceDecisionMetaSchema): a SETTINGS_CHANGE ledger entry. */
  deviceDecision: 'settings.deviceApproval',
  /** A patient's research consent for one purpose (shared/research/consent.ts ConsentRecordMetaSchema): a CONSENT ledger entry. */
  consentRecorded: 'consent.recorded',
  /** The institution's research policy (consent.ts ResearchPolicyMetaSchema): a SETTINGS_CHANGE ledger entry. */
  researchPolicy: 'settings.researchPolicy',
  /** A research node's keyword query as signed and sent (research-meta.ts QueryPostedMetaSchema). */
  queryPosted: 'query.posted',
  /** A clinic took a query from the network's Data Search Service (one the relay did not bring: it joined later). */
  queryReceived: 'query.received',
  /** A clinic answered a query (research-meta.ts QueryAnsweredMetaSchema): a QUERY_ANSWERED ledger entry. */
  queryAnswered: 'query.answered',
  /** A clinic declined a query, or its guard locked the researcher out (QueryDeclinedMetaSchema). */
  queryDeclined: 'query.declined',
  /** The researcher's purchase basket as it now is (BasketMetaSchema): what the purchase issue consumes. */
  basketChanged: 'basket.changed',
  /** A researcher sent a purchase request to a clinic (research-meta.ts PurchaseRequestedMetaSchema): a PURCHASE_REQUESTED ledger entry. */
  purchaseRequested: 'purchase.requested',
  /** A clinic accepted a purchase request, its offers claimed at the notary (PurchaseAcceptedMetaSchema): a PURCHASE_ACCEPTED entry that consumes them. */
  purchaseAccepted: 'purchase.accepted',
  /** A clinic declined a purchase request, or found its offer sold (PurchaseDeclinedMetaSchema): a PURCHASE_DECLINED entry. */
  purchaseDeclined: 'purchase.declined',
  /** A clinic told the researcher its notarized acceptance (PurchaseNotifiedMetaSchema). */
  purchaseNotified: 'purchase.notified',
  /** A clinic delivered a purchase's sealed package (PurchaseDeliveredMetaSchema): a DATA_DELIVERY entry. */
  purchaseDelivered: 'purchase.delivered',
  /** A clinic told the researcher its notarized delivery (PurchaseDeliveryNotifiedMetaSchema). */
  purchaseDeliveryNotified: 'purchase.deliveryNotified',
  /** A researcher paid a purchase into escrow (dataset-meta.ts PurchasePaidMetaSchema): an ESCROW_DEPOSIT entry. */
  purchasePaid: 'purchase.paid',
  /** A researcher asked the keepers for their shares of a delivered package's key (dataset-meta.ts PurchaseKeysRequestedMetaSchema). */
  purchaseKeysRequested: 'purchase.keysRequested',
  /** A researcher opened a delivered dataset: key combined and checked, package checked (PurchaseOpenedMetaSchema). */
  purchaseOpened: 'purchase.opened',
  /** A researcher acknowledged a delivery (PurchaseAcknowledgedMetaSchema): a DELIVERY_ACK entry; the escrow pays out. */
  purchaseAcknowledged: 'purchase.acknowledged',
  /** An opened dataset saved to a folder (mind-meta.ts ExportMetaSchema): an EXPORT entry. */
  datasetSaved: 'export.dataset',
} as const;

/** Kinds the mind may append through journal.append; intake kinds are written by the body only. */
export const MIND_EVENT_KIND = /^(view|vault|operator|settings|consent|erasure|export|message|device|query|basket|purchase)\.[a-zA-Z]+$/;

export function isMindEventKind(kind: string): boolean {
  return MIND_EVENT_KIND.test(kind);
}

/**
 * Mind events only an administrator's session may append (the body refuses anyone else's
 * journal.append of them): the record of an act only an administrator may do (the mind asks for
 * an administrator before each, and the body-side call that goes with it, such as vault.erase or
 * devices.decide, is admin-only too). A clinician's forged `erasure.patient` would otherwise hide a
 * patient from every rebuild of the views without any erasure by the body.
 */
export const ADMIN_MIND_EVENT_KINDS: ReadonlySet<string> = new Set([
  MIND_KINDS.autoLockSetting,
  MIND_KINDS.erasure,
  MIND_KINDS.researchPolicy,
  MIND_KINDS.deviceDecision,
  MIND_KINDS.institution,
  MIND_KINDS.purchaseAccepted,
  MIND_KINDS.purchaseDelivered,
]);
