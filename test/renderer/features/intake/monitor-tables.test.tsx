// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Hl7RecentMessage, Hl7SenderCounters } from '../../../../shared/ipc/intake-contract';
import { RecentMessages, SenderTable } from '../../../../renderer/features/intake/monitor-tables';

/**
 * QA11 6: at 1,000 px the senders' counters and the recent messages keep every column in their
 * panel (checked in Chromium by test/e2e/intake/quarantine.test.ts); what a column cuts with an
 * ellipsis must stay readable whole, in a title.
 */

const LONG_SENDER = 'VERYLONGSENDINGAPPLICATIONNAME|SAINT-ELISABETH-UNIVERSITY-HOSPITAL-LAB';
const LONG_CONTROL_ID = 'QA11-NOPID-LONGCONTROLID-XYZ-123456789';

afterEach(cleanup);

describe('intake monitor tables at 1,000 px', () => {
  it('the senders table gives the whole sender and every count in a title', () => {
    const senders: Hl7SenderCounters[] = [{ sender: LONG_SENDER, received: 12_345_678, accepted: 12_345_670, errored: 8, duplicates: 0, conflicts: 0, reprocessed: 2, lastAt: '2026-12-06T15:47:40.000Z' }];
    render(
      <>
        <h3 id="senders">Senders</h3>
        <SenderTable senders={senders} labelledBy="senders" />
      </>,
    );
    const table = screen.getByRole('table', { name: 'Senders' });
    expect(within(table).getByRole('rowheader', { name: LONG_SENDER }).getAttribute('title')).toBe(LONG_SENDER);
    const titles = [...table.querySelectorAll('tbody td[title]')].map((cell) => cell.getAttribute('title'));
    expect(titles).toEqual(['12,345,678', '12,345,670', '8', '0', '0', '2']);
  });

  it('recent messages give the whole sender, type, control id and reason in a title, and keep hyphenated words whole', () => {
    const recent: Hl7RecentMessage[] = [
      { at: '2026-12-06T15:47:40.000Z', channel: 'hl7-mllp', sender: LONG_SENDER, controlId: LONG_CONTROL_ID, messageType: 'ORU^R01^ORU_R01', acks: ['AR'], reason: 'The bytes are not valid UNICODE UTF-8 (MSH-18 is empty).' },
    ];
    render(
      <>
        <h2 id="recent">Recent messages</h2>
        <RecentMessages recent={recent} labelledBy="recent" />
      </>,
    );
    const table = screen.getByRole('table', { name: 'Recent messages' });
    const titled = [...table.querySelectorAll('tbody [title]')].map((element) => element.getAttribute('title'));
    expect(titled).toEqual(expect.arrayContaining([LONG_SENDER, 'ORU^R01^ORU_R01', LONG_CONTROL_ID, 'The bytes are not valid UNICODE UTF-8 (MSH-18 is empty).']));
    const whole = [...table.querySelectorAll('tbody .whole-word')].map((element) => element.textContent);
    expect(whole).toEqual(['UTF-8', '(MSH-18']);
  });
});
