import type { HdmsApi } from '../../../shared/ipc/contract';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { AccessMeta, QuarantineAccessMeta } from '../../../shared/journal/mind-meta';
import { appendSessionEvent, type VaultSession } from '../session/vault-session';

/**
 * How long one access stands for a patient's repeated views (issue 11: "repeated views of one
 * patient in one session are coalesced, one entry per patient per session window"). Within one
 * unlocked session, the first view of a patient's chart (its page, a record) is
 * journaled, and so signed as one ACCESS entry; further views of that chart in the next 30
 * minutes add none. A view after that opens a new window, and a lock ends the session and every
 * window with it, so the next session's first view is journaled again. Thirty minutes: a
 * consultation or a ward round, long enough that flipping between tabs of one chart is one entry,
 * short enough that coming back to the chart later in a long shift is a new one.
 *
 * What is coalesced is one kind of access (accessKindOf): a raw message is not a view of the
 * chart but the whole message as the sender sent it (every HL7 field, next of kin, insurance…),
 * so opening one is an access of its own whether or not the chart was opened before it (QA11 D2),
 * and each message is its own (the report names which one); the same message opened again in the
 * window (from the message browser or from its record) adds nothing. An imaging study is likewise
 * its own (issue 12: "every study opening is an access event"), each study once per window.
 */
export const ACCESS_WINDOW_MS = 30 * 60 * 1000;

interface Window {
  readonly openedAt: number;
  /** The journal append of the view that opened it: later views wait for it too. */
  readonly durable: Promise<void>;
}

const windows = new WeakMap<VaultSession, Map<string, Window>>();
/** Windows held before the ended ones are dropped. */
const PRUNE_AT = 1024;

/** The window a view belongs to, within one session: the patient's chart, one raw message of theirs, or one imaging study. */
function accessKindOf(patientId: string, messageSeq: number | undefined, studyId?: string): string {
  if (studyId !== undefined) return `study\u0000${patientId}\u0000${studyId}`;
  return messageSeq === undefined ? `chart\u0000${patientId}` : `raw\u0000${patientId}\u0000${messageSeq}`;
}

/**
 * Journals a `view.access` event (design §2: every opening of a patient or a record): durable in
 * the journal before the caller shows what was opened, once per patient, kind of access and
 * session window (accessKindOf). The event says what opened the window: the patient page, a
 * record, or (`messageSeq`) a raw message.
 */
export async function journalAccess(
  api: Pick<HdmsApi, 'journal'>,
  s: VaultSession,
  patientId: string,
  recordId: string | null,
  messageSeq?: number,
  now: number = Date.now(),
): Promise<void> {
  return journalView(api, s, accessKindOf(patientId, messageSeq), { v: 1, patientId, recordId, ...(messageSeq === undefined ? {} : { messageSeq }), at: new Date(now).toISOString() }, now);
}

/**
 * Journals the opening of one imaging study (issue 12: "every study opening is an access event"):
 * an access of its own, as a raw message is, not folded into the chart's window, since a study is
 * the images themselves; the same study opened again within the window adds nothing.
 */
export function journalStudyAccess(api: Pick<HdmsApi, 'journal'>, s: VaultSession, patientId: string, studyId: string, now: number = Date.now()): Promise<void> {
  return journalView(api, s, accessKindOf(patientId, undefined, studyId), { v: 1, patientId, recordId: studyId, what: 'imaging study', at: new Date(now).toISOString() }, now);
}

/**
 * Journals the page of one message in the message browser (tester T2 S35 F1): it shows the
 * patient the message was filed under and the records it filed, values included, so it is a view
 * of that patient's chart and shares the chart's window (one entry per patient and window, the
 * first of page, record or message page opening it; the entry names the message).
 */
export function journalMessagePageAccess(api: Pick<HdmsApi, 'journal'>, s: VaultSession, patientId: string, messageSeq: number, now: number = Date.now()): Promise<void> {
  return journalView(api, s, accessKindOf(patientId, undefined), { v: 1, patientId, recordId: null, messageSeq, what: 'message page', at: new Date(now).toISOString() }, now);
}

async function journalView(api: Pick<HdmsApi, 'journal'>, s: VaultSession, key: string, meta: AccessMeta, now: number): Promise<void> {
  let open = windows.get(s);
  if (open === undefined) {
    open = new Map();
    windows.set(s, open);
  }
  if (open.size >= PRUNE_AT) {
    // A long session that opened many raw messages: windows that ended are forgotten (memory stays bounded by the window).
    for (const [key, window] of open) if (now - window.openedAt >= ACCESS_WINDOW_MS) open.delete(key);
  }
  const current = open.get(key);
  if (current !== undefined && now - current.openedAt < ACCESS_WINDOW_MS) return current.durable;
  const durable = appendSessionEvent(api, s, MIND_KINDS.access, meta).then(() => undefined);
  const window: Window = { openedAt: now, durable };
  open.set(key, window);
  try {
    await durable;
  } catch (error) {
    // Not journaled: the next view tries again (and the page is not shown, as before).
    if (open.get(key) === window) open.delete(key);
    throw error;
  }
}

/**
 * Journals a `view.quarantined` event: a quarantined input's raw bytes were opened; with `patientId`
 * when they name a chart the vault holds (quarantined-patient.ts), so it is that patient's access.
 */
export async function journalQuarantineAccess(api: Pick<HdmsApi, 'journal'>, s: VaultSession, quarantineSeq: number, patientId?: string | null): Promise<void> {
  const meta: QuarantineAccessMeta = { v: 1, quarantineSeq, ...(patientId === undefined || patientId === null ? {} : { patientId }), at: new Date().toISOString() };
  await appendSessionEvent(api, s, MIND_KINDS.quarantineAccess, meta);
}
