import type { EventName, MethodName } from './contract';
import { OPERATOR_ROLES, type OperatorRoleName } from './vault-contract';

/**
 * Who may call each method, checked by the body before the payload is parsed (design §1: "the
 * body checks who asks"). A session is proven with a signature from an opened key slot
 * (vault.unlockBegin/unlockFinish), never by a claim in a payload.
 *
 *   anyone    no session: what the first-run and unlock screens need, and nothing that changes
 *             the vault (prefs are this installation's display settings, not vault data)
 *   setup     no session only while no vault exists (create, restore); once one exists, admin
 *   session   any operator with a session
 *   clinical  admin or clinician: raw messages, intake and the quarantine, and the journal itself
 *             (a researcher's or auditor's key slot opens none of it: design §3, roles are keys;
 *             they read the ledger's view, which clinical sessions project)
 *   admin     admin only: operators and keys, backups, listener settings, demo data, erasure
 */
export type MethodAccess = 'anyone' | 'setup' | 'session' | 'clinical' | 'admin';

/** The mapped type makes a method without an access rule a compile error. */
export const METHOD_ACCESS: { readonly [M in MethodName]: MethodAccess } = {
  'app.info': 'anyone',
  'prefs.get': 'anyone',
  'prefs.update': 'anyone',
  'vault.status': 'anyone',
  'vault.directory': 'anyone',
  'vault.keyring': 'session',
  'vault.create': 'setup',
  'vault.updateKeyring': 'session',
  'vault.unlockBegin': 'anyone',
  'vault.unlockFinish': 'anyone',
  'vault.unlockFailed': 'anyone',
  'vault.lock': 'anyone',
  'vault.session': 'anyone',
  // Only a session postpones its own idle lock.
  'vault.activity': 'session',
  'vault.keychainStatus': 'anyone',
  'vault.keychainStore': 'admin',
  // Startup's unattended unlock (Electron only; the browser shell has no keychain): the key opens
  // only the keychain slot, which the body serves one attempt at a time like any other. No session
  // exists yet, so none can be asked for; instead the handler serves the key only until the first
  // session opens after the body's start (vault-feature.ts), so a window reopened or reloaded at
  // the lock screen does not unlock as the administrator.
  'vault.keychainLoad': 'anyone',
  // Removing the kept key only ever turns unattended unlock off: startup clears a key that no
  // longer opens its slot, before anyone has signed in; after the first session since the body's
  // start, the handler lets only an administrator's session clear it (vault-feature.ts).
  'vault.keychainClear': 'anyone',
  'vault.erase': 'admin',
  'vault.erasureReports': 'admin',
  'backup.export': 'admin',
  'backup.inspect': 'setup',
  'backup.verify': 'setup',
  'backup.restore': 'setup',
  'backup.getSettings': 'admin',
  'backup.updateSettings': 'admin',
  // Times and sizes only: the unlock screen shows administrators when the last backup was made.
  'backup.status': 'anyone',
  'backup.checkDestination': 'admin',
  // What a restore picks from (file names, sizes, dates), and the native dialog that picks one; once a
  // vault exists, administrators only (choosing the destination folder).
  'backup.list': 'setup',
  'backup.choose': 'setup',
  'journal.read': 'clinical',
  'journal.append': 'clinical',
  'objects.read': 'clinical',
  'objects.readBinary': 'clinical',
  'demo.import': 'admin',
  'intake.status': 'anyone',
  'intake.uploadBegin': 'clinical',
  'intake.uploadAppend': 'clinical',
  'intake.uploadAbort': 'clinical',
  'intake.discard': 'clinical',
  'hl7.monitor': 'clinical',
  'hl7.importFiles': 'clinical',
  'hl7.reprocess': 'clinical',
  // Clearing the counters clears operational evidence, like changing the listener: administrators.
  'hl7.resetCounters': 'admin',
  'hl7.getSettings': 'session',
  'hl7.updateSettings': 'admin',
  // Device ports and connections: seeing them needs a session; opening a port takes data in (clinical);
  // approving or rejecting a device decides whose readings are trusted (admin).
  'devices.status': 'session',
  'devices.listPorts': 'clinical',
  'devices.openPort': 'clinical',
  'devices.closePort': 'clinical',
  'devices.approvals': 'session',
  'devices.decide': 'admin',
  'devices.forget': 'admin',
  // The receiver's counters and callers are AE titles and addresses (no PHI); its settings are the admin's.
  'dicom.status': 'session',
  // As hl7.resetCounters: clearing the counters clears operational evidence.
  'dicom.resetCounters': 'admin',
  'dicom.getSettings': 'session',
  'dicom.updateSettings': 'admin',
  // An import stores clinical data like any intake.
  'dicom.importFiles': 'clinical',
  // Like hl7.reprocess: the quarantine is clinical.
  'dicom.reprocess': 'clinical',
  // A large file's import, chunk by chunk: clinical like dicom.importFiles.
  'dicom.streamBegin': 'clinical',
  'dicom.streamAppend': 'clinical',
  'dicom.streamAbort': 'clinical',
  'ledger.append': 'clinical',
  // The signed ledger export holds hashes, pseudonyms and signatures only: an auditor (the natural
  // user of a verifiable export) may write it too, and the body journals that export under them.
  // Which session may export which kind (the node info is signed with the node's key, which only
  // a clinical session holds) is checked by the handler (ledger-feature.ts), the ledger's by
  // mayExportLedger below.
  'ledger.exportBegin': 'session',
  'ledger.exportAppend': 'session',
  'ledger.exportFinish': 'session',
  'ledger.exportAbort': 'session',
  // An access report is read from the ledger's view; writing one as a file is for the roles in
  // ACCESS_REPORT_EXPORT_ROLES (checked by the handler, ledger-feature.ts), which journals the
  // export under the session's operator and prefixes formula cells itself.
  'ledger.exportAccessReport': 'session',
  'ledger.saveExportAs': 'session',
  'ledger.publish': 'clinical',
  'ledger.outboxStatus': 'clinical',
  // Membership is public facts about the institution; joining is the admin's act (it signs as the node).
  'network.status': 'session',
  'network.inspect': 'admin',
  'network.join': 'admin',
  'network.refresh': 'session',
  // The identity key signs both (only a clinical session derives it from the master secret).
  'network.transport': 'clinical',
  'network.delegate': 'clinical',
  'network.send': 'clinical',
  'network.recover': 'clinical',
  // A query is signed by the identity key, which only a clinical session holds.
  'network.postQuery': 'clinical',
  'network.openQueries': 'clinical',
  // A claim precedes an entry the identity key signs (a clinic accepting a purchase).
  'network.claim': 'clinical',
  // Chain calls carry transactions the identity key signed (a researcher paying into escrow).
  'network.chain': 'clinical',
  // Demo PHD for this node's account: a member request like any other, made for the researcher.
  'network.faucet': 'clinical',
  // A delivery is a dataset sold (its DATA_DELIVERY entry is signed by the identity key) or bought.
  'network.deliveryCreate': 'clinical',
  'network.deliveryChunk': 'clinical',
  'network.deliveryComplete': 'clinical',
  'network.deliveries': 'clinical',
  // The clinic's release staged on the body's disk (still sealed) and uploaded from there.
  'network.deliveryStage': 'clinical',
  'network.deliveryStageFinish': 'clinical',
  'network.deliveryStageAbort': 'clinical',
  'network.deliveryRead': 'clinical',
  // Saving an opened dataset writes its de-identified files where the operator said: an export (journaled by the mind).
  'network.datasetSaveBegin': 'clinical',
  'network.datasetSaveWrite': 'clinical',
  'network.datasetSaveFinish': 'clinical',
  'network.datasetSaveAbort': 'clinical',
  'network.chooseFolder': 'clinical',
};

/**
 * Who hears each body → mind push, checked by the body for each connection (shell WebSocket, app
 * window) before it is sent: an event says what its methods answer, so it needs what they need.
 *   anyone   every connection: the unlock screen follows these (counts, sequence numbers, states)
 *   session  connections with an operator session (devices.status and network.status need one)
 */
export type EventAccess = 'anyone' | 'session';

/** The mapped type makes an event without an access rule a compile error. */
export const EVENT_ACCESS: { readonly [E in EventName]: EventAccess } = {
  'app.stopping': 'anyone',
  'prefs.changed': 'anyone',
  'vault.changed': 'anyone',
  // A locked page must learn its session ended.
  'vault.sessionsEnded': 'anyone',
  'backup.statusChanged': 'anyone',
  'journal.appended': 'anyone',
  'demo.progress': 'anyone',
  'intake.statusChanged': 'anyone',
  'hl7.activity': 'anyone',
  // Ports, device system ids, serial numbers and models.
  'devices.changed': 'session',
  'network.changed': 'session',
};

/** The roles a level admits (anyone and setup need no session). */
export const ROLES_OF_ACCESS: Readonly<Record<'session' | 'clinical' | 'admin', readonly OperatorRoleName[]>> = {
  session: OPERATOR_ROLES,
  clinical: ['admin', 'clinician'],
  admin: ['admin'],
};

/** Each role as a person in a sentence ("… an auditor does"). */
const ROLE_IN_WORDS: Readonly<Record<OperatorRoleName, string>> = {
  admin: 'an administrator',
  clinician: 'a clinician',
  researcher: 'a researcher',
  auditor: 'an auditor',
};

/** A role as a person in a sentence, with its article: "an auditor", "a clinician". */
export function roleInWords(role: OperatorRoleName): string {
  return ROLE_IN_WORDS[role];
}

/**
 * Who may write the signed ledger export: it holds hashes, pseudonyms and signatures, nothing an
 * auditor does not read already. The one list the body's handler, the mind's refusal and the
 * Ledger page (which shows "Export ledger" to these roles only) all consult.
 */
export const LEDGER_EXPORT_ROLES: readonly OperatorRoleName[] = ['admin', 'clinician', 'auditor'];

export function mayExportLedger(role: OperatorRoleName): boolean {
  return LEDGER_EXPORT_ROLES.includes(role);
}

/** The roles that export the ledger, in words: "an administrator, a clinician or an auditor". */
export function ledgerExportersInWords(): string {
  return rolesInWords(LEDGER_EXPORT_ROLES);
}

function rolesInWords(roles: readonly OperatorRoleName[]): string {
  const words = roles.map((role) => ROLE_IN_WORDS[role]);
  return words.length < 2 ? (words[0] ?? 'no role') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}

/**
 * Who may write an access report to the exports folder (ledger.exportAccessReport): those who
 * answer for accesses (administrators, auditors) and clinicians, who export a patient's accesses
 * from the patient page. A researcher reads the ledger under pseudonyms but writes no report
 * (tester's finding 2: one wrote a file of made-up rows). The body's handler and the Access report
 * page (which shows Export CSV to these roles only) both consult this list.
 */
export const ACCESS_REPORT_EXPORT_ROLES: readonly OperatorRoleName[] = ['admin', 'clinician', 'auditor'];

export function mayExportAccessReport(role: OperatorRoleName): boolean {
  return ACCESS_REPORT_EXPORT_ROLES.includes(role);
}

/** Why a role that may not write access reports is refused (the body's refusal, the page's note). */
export function accessReportExportRefusal(role: OperatorRoleName): string {
  return `Your role (${role}) does not export access reports: ${rolesInWords(ACCESS_REPORT_EXPORT_ROLES)} does.`;
}

/** Why a role that may not export the ledger is refused (the same sentence from the body and the mind). */
export function ledgerExportRefusal(role: OperatorRoleName): string {
  return `Your role (${role}) does not export the ledger: ${ledgerExportersInWords()} does.`;
}
