import type { HdmsApi } from '../../../shared/ipc/contract';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { AccessMeta, QuarantineAccessMeta } from '../../../shared/journal/mind-meta';
import { appendSessionEvent, type VaultSession } from '../session/vault-session';

/**
 * Journals a `view.access` event (design §2: every opening of a patient or a record): durable in
 * the journal before the caller shows what was opened.
 */
export async function journalAccess(api: Pick<HdmsApi, 'journal'>, s: VaultSession, patientId: string, recordId: string | null): Promise<void> {
  const meta: AccessMeta = { v: 1, patientId, recordId, at: new Date().toISOString() };
  await appendSessionEvent(api, s, MIND_KINDS.access, meta);
}

/** Journals a `view.quarantined` event: a quarantined input's raw bytes (which may name a patient) were opened. */
export async function journalQuarantineAccess(api: Pick<HdmsApi, 'journal'>, s: VaultSession, quarantineSeq: number): Promise<void> {
  const meta: QuarantineAccessMeta = { v: 1, quarantineSeq, at: new Date().toISOString() };
  await appendSessionEvent(api, s, MIND_KINDS.quarantineAccess, meta);
}
