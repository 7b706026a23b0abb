import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessMeta } from '../../../../shared/journal/mind-meta';
import type { VaultSession } from '../../../../renderer/vault/session/vault-session';

// What journalAccess journals, without a body: each appended event's meta, in order.
const appended: AccessMeta[] = [];
vi.mock('../../../../renderer/vault/session/vault-session', () => ({
  appendSessionEvent: async (_api: unknown, _s: unknown, _kind: string, meta: AccessMeta) => {
    appended.push(meta);
    return appended.length;
  },
}));
const { ACCESS_WINDOW_MS, journalAccess, journalMessagePageAccess, journalStudyAccess } = await import('../../../../renderer/vault/records/access-events');

const api = {} as never;
const P = 'p'.repeat(22);
const Q = 'q'.repeat(22);
const R = 'r'.repeat(22);
const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const opened = () => appended.map((meta) => (meta.messageSeq !== undefined ? `raw ${meta.messageSeq}` : meta.recordId === null ? 'page' : `record ${meta.recordId}`));

describe('journalAccess: what one session window coalesces (QA11 D2)', () => {
  let session: VaultSession;
  beforeEach(() => {
    appended.length = 0;
    session = {} as VaultSession;
  });

  it('journals a raw message opened after the patient page: a view of the full message is an access of its own', async () => {
    await journalAccess(api, session, P, null, undefined, T0);
    await journalAccess(api, session, P, null, 44, T0 + 1000);
    expect(opened()).toEqual(['page', 'raw 44']);
    expect(appended[1]).toMatchObject({ patientId: P, recordId: null, messageSeq: 44 });
  });

  it('journals the patient page opened after a raw message as well', async () => {
    await journalAccess(api, session, P, null, 44, T0);
    await journalAccess(api, session, P, null, undefined, T0 + 1000);
    expect(opened()).toEqual(['raw 44', 'page']);
  });

  it('keeps repeated identical views coalesced: the chart (page, records) once, each raw message once, per patient and window', async () => {
    await journalAccess(api, session, P, null, undefined, T0);
    await journalAccess(api, session, P, R, undefined, T0 + 1);
    await journalAccess(api, session, P, null, undefined, T0 + 2);
    await journalAccess(api, session, P, null, 44, T0 + 3);
    await journalAccess(api, session, P, R, 44, T0 + 4);
    await journalAccess(api, session, P, null, 44, T0 + 5);
    // Another raw message of the same patient: what it disclosed is another message.
    await journalAccess(api, session, P, null, 45, T0 + 6);
    // Another patient: windows of their own.
    await journalAccess(api, session, Q, null, 44, T0 + 7);
    await journalAccess(api, session, Q, null, undefined, T0 + 8);
    expect(opened()).toEqual(['page', 'raw 44', 'raw 45', 'raw 44', 'page']);
    expect(appended.map((meta) => meta.patientId)).toEqual([P, P, P, Q, Q]);
  });

  it('opens each kind’s window again after ACCESS_WINDOW_MS, and in a new session', async () => {
    await journalAccess(api, session, P, null, undefined, T0);
    await journalAccess(api, session, P, null, 44, T0);
    await journalAccess(api, session, P, null, undefined, T0 + ACCESS_WINDOW_MS - 1);
    await journalAccess(api, session, P, null, 44, T0 + ACCESS_WINDOW_MS - 1);
    expect(opened()).toEqual(['page', 'raw 44']);
    await journalAccess(api, session, P, null, undefined, T0 + ACCESS_WINDOW_MS);
    await journalAccess(api, session, P, null, 44, T0 + ACCESS_WINDOW_MS);
    expect(opened()).toEqual(['page', 'raw 44', 'page', 'raw 44']);
    await journalAccess(api, {} as VaultSession, P, null, 44, T0 + ACCESS_WINDOW_MS);
    expect(opened()).toEqual(['page', 'raw 44', 'page', 'raw 44', 'raw 44']);
  });

  it('journals each imaging study opened as an access of its own, named as a study, even after the chart (issue 12: every study opening is an access event; QA4-12 D5)', async () => {
    await journalAccess(api, session, P, null, undefined, T0);
    await journalStudyAccess(api, session, P, 'study-a', T0 + 1000);
    await journalStudyAccess(api, session, P, 'study-b', T0 + 2000);
    // The same study again in the window, and the chart again: nothing more.
    await journalStudyAccess(api, session, P, 'study-a', T0 + 3000);
    await journalAccess(api, session, P, R, undefined, T0 + 4000);
    expect(appended.map((meta) => [meta.recordId, meta.what])).toEqual([
      [null, undefined],
      ['study-a', 'imaging study'],
      ['study-b', 'imaging study'],
    ]);
    await journalStudyAccess(api, session, P, 'study-a', T0 + ACCESS_WINDOW_MS + 3000);
    expect(appended).toHaveLength(4);
  });

  it('journals a message\'s page (its patient and the records it filed) in the chart\'s window: one entry per patient and window, whichever was seen first (tester T2 S35 F1)', async () => {
    await journalMessagePageAccess(api, session, P, 44, T0);
    // Another message of hers, her page, a record: the chart's window is open.
    await journalMessagePageAccess(api, session, P, 45, T0 + 1);
    await journalAccess(api, session, P, null, undefined, T0 + 2);
    await journalAccess(api, session, P, R, undefined, T0 + 3);
    // The raw message is still an access of its own.
    await journalAccess(api, session, P, null, 44, T0 + 4);
    // Another patient's message; and the chart first, then a message page: nothing more.
    await journalAccess(api, session, Q, null, undefined, T0 + 5);
    await journalMessagePageAccess(api, session, Q, 46, T0 + 6);
    expect(appended).toEqual([
      { v: 1, patientId: P, recordId: null, messageSeq: 44, what: 'message page', at: new Date(T0).toISOString() },
      { v: 1, patientId: P, recordId: null, messageSeq: 44, at: new Date(T0 + 4).toISOString() },
      { v: 1, patientId: Q, recordId: null, at: new Date(T0 + 5).toISOString() },
    ]);
    await journalMessagePageAccess(api, session, P, 45, T0 + ACCESS_WINDOW_MS);
    expect(appended).toHaveLength(4);
  });
});
