import type { HdmsApi } from '../../../shared/ipc/contract';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { AccessMeta, QuarantineAccessMeta } from '../../../shared/journal/mind-meta';
import { appendSessionEvent, type VaultSession } from '../session/vault-session';

/**
 * How long one access stands for a patient's repeated views (issue 11: "repeated views of one
 * patient in one session are coalesced, one entry per patient per session window"). Within one
 * unlocked session, the first view of a patient (its page, a record, a raw message, a study) is
 * journaled, and so signed as one ACCESS entry; further views of that patient in the next 30
 * minutes add none. A view after that opens a new window, and a lock ends the session and every
 * window with it, so the next session's first view is journaled again. Thirty minutes: a
 * consultation or a ward round, long enough that flipping between tabs of one chart is one entry,
 * short enough that coming back to the chart later in a long shift is a new one.
 */
export const ACCESS_WINDOW_MS = 30 * 60 * 1000;

interface Window {
  readonly openedAt: number;
  /** The journal append of the view that opened it: later views wait for it too. */
  readonly durable: Promise<void>;
}

const windows = new WeakMap<VaultSession, Map<string, Window>>();

/**
 * Journals a `view.access` event (design §2: every opening of a patient or a record): durable in
 * the journal before the caller shows what was opened, once per patient per session window. The
 * event says what opened the window: the patient page, a record, or (`messageSeq`) a raw message.
 */
export async function journalAccess(
  api: Pick<HdmsApi, 'journal'>,
  s: VaultSession,
  patientId: string,
  recordId: string | null,
  messageSeq?: number,
  now: number = Date.now(),
): Promise<void> {
  let open = windows.get(s);
  if (open === undefined) {
    open = new Map();
    windows.set(s, open);
  }
  const current = open.get(patientId);
  if (current !== undefined && now - current.openedAt < ACCESS_WINDOW_MS) return current.durable;
  const meta: AccessMeta = { v: 1, patientId, recordId, ...(messageSeq === undefined ? {} : { messageSeq }), at: new Date(now).toISOString() };
  const durable = appendSessionEvent(api, s, MIND_KINDS.access, meta).then(() => undefined);
  const window: Window = { openedAt: now, durable };
  open.set(patientId, window);
  try {
    await durable;
  } catch (error) {
    // Not journaled: the next view tries again (and the page is not shown, as before).
    if (open.get(patientId) === window) open.delete(patientId);
    throw error;
  }
}

/** Journals a `view.quarantined` event: a quarantined input's raw bytes (which may name a patient) were opened. */
export async function journalQuarantineAccess(api: Pick<HdmsApi, 'journal'>, s: VaultSession, quarantineSeq: number): Promise<void> {
  const meta: QuarantineAccessMeta = { v: 1, quarantineSeq, at: new Date().toISOString() };
  await appendSessionEvent(api, s, MIND_KINDS.quarantineAccess, meta);
}
