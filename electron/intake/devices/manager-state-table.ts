/**
 * The IEEE 11073-20601 manager state machine as its state table: one row per (state, event) with
 * the standard's transition number (state row . event column), the next state and the action the
 * manager takes. `manager.ts` classifies what arrives into these events and runs the actions; it
 * has no transition logic of its own. The "checking config" state is entered and left within one
 * turn (the manager checks a configuration report synchronously), but it is kept as the standard
 * has it so the rows 7.x read like the table.
 */

export type ManagerState = 'disconnected' | 'unassociated' | 'waiting-for-config' | 'checking-config' | 'operating' | 'disassociating';

export type ManagerEvent =
  | 'transport-connect'
  | 'transport-disconnect'
  | 'timeout'
  | 'req-assoc-rel'
  | 'req-assoc-abort'
  | 'rx-aarq-acceptable-known-config'
  | 'rx-aarq-acceptable-unknown-config'
  | 'rx-aarq-unacceptable'
  | 'rx-aare'
  | 'rx-rlrq'
  | 'rx-rlre'
  | 'rx-abrt'
  /** Any PRST while unassociated. */
  | 'rx-prst'
  | 'rx-roiv-confirmed-event-report'
  | 'rx-roiv-event-report'
  /** ROIV GET / SET / ACTION from the agent (a manager serves none of them). */
  | 'rx-roiv-other'
  | 'rx-rors'
  | 'rx-roer'
  | 'rx-rorj'
  | 'req-agent-supplied-unknown-configuration'
  | 'req-agent-supplied-known-configuration';

export type ManagerAction =
  | 'none'
  /** AARE accepted (known configuration); then GET the MDS attributes. */
  | 'tx-aare-accepted'
  /** AARE accepted-unknown-config; start TO_config. */
  | 'tx-aare-accepted-unknown-config'
  /** AARE with the rejection result the check chose. */
  | 'tx-aare-rejected'
  /** ABRT (reason: undefined, or the timeout's). */
  | 'tx-abrt'
  /** RLRE normal. */
  | 'tx-rlre'
  /** RLRQ normal; start TO_release. */
  | 'tx-rlrq'
  /** Check the configuration report (leads to 7.31 or 7.32). */
  | 'check-config'
  /** RORS of the configuration report with the config-result chosen. */
  | 'tx-config-rsp'
  /** Take the event report's observations in; answer a confirmed one with RORS (same invoke id). */
  | 'event-report'
  /** ROER not-allowed-by-object for a confirmed ROIV the state does not serve. */
  | 'tx-roer'
  /** A response to the manager's own request (GET MDS) or an error/reject of it. */
  | 'rx-response'
  /** The transport is gone: drop the association's state. */
  | 'drop';

export interface StateTableRow {
  /** The standard's transition number. */
  readonly row: string;
  readonly state: ManagerState;
  readonly event: ManagerEvent;
  readonly next: ManagerState;
  readonly action: ManagerAction;
}

const r = (row: string, state: ManagerState, event: ManagerEvent, next: ManagerState, action: ManagerAction): StateTableRow => ({ row, state, event, next, action });

export const MANAGER_STATE_TABLE: readonly StateTableRow[] = [
  r('1.1', 'disconnected', 'transport-connect', 'unassociated', 'none'),

  r('2.2', 'unassociated', 'transport-disconnect', 'disconnected', 'drop'),
  r('2.6', 'unassociated', 'req-assoc-rel', 'unassociated', 'none'),
  r('2.7', 'unassociated', 'req-assoc-abort', 'unassociated', 'none'),
  r('2.9', 'unassociated', 'rx-aarq-acceptable-known-config', 'operating', 'tx-aare-accepted'),
  r('2.10', 'unassociated', 'rx-aarq-acceptable-unknown-config', 'waiting-for-config', 'tx-aare-accepted-unknown-config'),
  r('2.11', 'unassociated', 'rx-aarq-unacceptable', 'unassociated', 'tx-aare-rejected'),
  r('2.12', 'unassociated', 'rx-aare', 'unassociated', 'tx-abrt'),
  r('2.16', 'unassociated', 'rx-rlrq', 'unassociated', 'tx-abrt'),
  r('2.17', 'unassociated', 'rx-rlre', 'unassociated', 'none'),
  r('2.18', 'unassociated', 'rx-abrt', 'unassociated', 'none'),
  r('2.19', 'unassociated', 'rx-prst', 'unassociated', 'tx-abrt'),

  r('6.2', 'waiting-for-config', 'transport-disconnect', 'disconnected', 'drop'),
  r('6.4', 'waiting-for-config', 'timeout', 'unassociated', 'tx-abrt'),
  r('6.6', 'waiting-for-config', 'req-assoc-rel', 'disassociating', 'tx-rlrq'),
  r('6.7', 'waiting-for-config', 'req-assoc-abort', 'unassociated', 'tx-abrt'),
  r('6.8', 'waiting-for-config', 'rx-aarq-acceptable-known-config', 'unassociated', 'tx-abrt'),
  r('6.8', 'waiting-for-config', 'rx-aarq-acceptable-unknown-config', 'unassociated', 'tx-abrt'),
  r('6.8', 'waiting-for-config', 'rx-aarq-unacceptable', 'unassociated', 'tx-abrt'),
  r('6.12', 'waiting-for-config', 'rx-aare', 'unassociated', 'tx-abrt'),
  r('6.16', 'waiting-for-config', 'rx-rlrq', 'unassociated', 'tx-rlre'),
  r('6.17', 'waiting-for-config', 'rx-rlre', 'unassociated', 'tx-abrt'),
  r('6.18', 'waiting-for-config', 'rx-abrt', 'unassociated', 'none'),
  r('6.24', 'waiting-for-config', 'rx-roiv-confirmed-event-report', 'checking-config', 'check-config'),
  r('6.25', 'waiting-for-config', 'rx-roiv-event-report', 'waiting-for-config', 'none'),
  r('6.25', 'waiting-for-config', 'rx-roiv-other', 'waiting-for-config', 'tx-roer'),
  r('6.26', 'waiting-for-config', 'rx-rors', 'waiting-for-config', 'rx-response'),
  r('6.26', 'waiting-for-config', 'rx-roer', 'waiting-for-config', 'rx-response'),
  r('6.26', 'waiting-for-config', 'rx-rorj', 'waiting-for-config', 'rx-response'),

  r('7.2', 'checking-config', 'transport-disconnect', 'disconnected', 'drop'),
  r('7.4', 'checking-config', 'timeout', 'unassociated', 'tx-abrt'),
  r('7.6', 'checking-config', 'req-assoc-rel', 'disassociating', 'tx-rlrq'),
  r('7.7', 'checking-config', 'req-assoc-abort', 'unassociated', 'tx-abrt'),
  r('7.8', 'checking-config', 'rx-aarq-acceptable-known-config', 'unassociated', 'tx-abrt'),
  r('7.8', 'checking-config', 'rx-aarq-acceptable-unknown-config', 'unassociated', 'tx-abrt'),
  r('7.8', 'checking-config', 'rx-aarq-unacceptable', 'unassociated', 'tx-abrt'),
  r('7.12', 'checking-config', 'rx-aare', 'unassociated', 'tx-abrt'),
  r('7.16', 'checking-config', 'rx-rlrq', 'unassociated', 'tx-rlre'),
  r('7.17', 'checking-config', 'rx-rlre', 'unassociated', 'tx-abrt'),
  r('7.18', 'checking-config', 'rx-abrt', 'unassociated', 'none'),
  r('7.24', 'checking-config', 'rx-roiv-confirmed-event-report', 'checking-config', 'tx-roer'),
  r('7.25', 'checking-config', 'rx-roiv-event-report', 'checking-config', 'none'),
  r('7.25', 'checking-config', 'rx-roiv-other', 'checking-config', 'tx-roer'),
  r('7.26', 'checking-config', 'rx-rors', 'checking-config', 'rx-response'),
  r('7.26', 'checking-config', 'rx-roer', 'checking-config', 'rx-response'),
  r('7.26', 'checking-config', 'rx-rorj', 'checking-config', 'rx-response'),
  r('7.31', 'checking-config', 'req-agent-supplied-unknown-configuration', 'waiting-for-config', 'tx-config-rsp'),
  r('7.32', 'checking-config', 'req-agent-supplied-known-configuration', 'operating', 'tx-config-rsp'),

  r('8.2', 'operating', 'transport-disconnect', 'disconnected', 'drop'),
  r('8.4', 'operating', 'timeout', 'unassociated', 'tx-abrt'),
  r('8.6', 'operating', 'req-assoc-rel', 'disassociating', 'tx-rlrq'),
  r('8.7', 'operating', 'req-assoc-abort', 'unassociated', 'tx-abrt'),
  r('8.8', 'operating', 'rx-aarq-acceptable-known-config', 'unassociated', 'tx-abrt'),
  r('8.8', 'operating', 'rx-aarq-acceptable-unknown-config', 'unassociated', 'tx-abrt'),
  r('8.8', 'operating', 'rx-aarq-unacceptable', 'unassociated', 'tx-abrt'),
  r('8.12', 'operating', 'rx-aare', 'unassociated', 'tx-abrt'),
  r('8.16', 'operating', 'rx-rlrq', 'unassociated', 'tx-rlre'),
  r('8.17', 'operating', 'rx-rlre', 'unassociated', 'tx-abrt'),
  r('8.18', 'operating', 'rx-abrt', 'unassociated', 'none'),
  r('8.21', 'operating', 'rx-roiv-confirmed-event-report', 'operating', 'event-report'),
  r('8.21', 'operating', 'rx-roiv-event-report', 'operating', 'event-report'),
  r('8.21', 'operating', 'rx-roiv-other', 'operating', 'tx-roer'),
  r('8.26', 'operating', 'rx-rors', 'operating', 'rx-response'),
  r('8.26', 'operating', 'rx-roer', 'operating', 'rx-response'),
  r('8.26', 'operating', 'rx-rorj', 'operating', 'rx-response'),

  r('9.2', 'disassociating', 'transport-disconnect', 'disconnected', 'drop'),
  r('9.4', 'disassociating', 'timeout', 'unassociated', 'tx-abrt'),
  r('9.6', 'disassociating', 'req-assoc-rel', 'disassociating', 'none'),
  r('9.7', 'disassociating', 'req-assoc-abort', 'unassociated', 'tx-abrt'),
  r('9.8', 'disassociating', 'rx-aarq-acceptable-known-config', 'unassociated', 'tx-abrt'),
  r('9.8', 'disassociating', 'rx-aarq-acceptable-unknown-config', 'unassociated', 'tx-abrt'),
  r('9.8', 'disassociating', 'rx-aarq-unacceptable', 'unassociated', 'tx-abrt'),
  r('9.12', 'disassociating', 'rx-aare', 'unassociated', 'tx-abrt'),
  r('9.16', 'disassociating', 'rx-rlrq', 'disassociating', 'tx-rlre'),
  r('9.17', 'disassociating', 'rx-rlre', 'unassociated', 'none'),
  r('9.18', 'disassociating', 'rx-abrt', 'unassociated', 'none'),
  r('9.21', 'disassociating', 'rx-roiv-confirmed-event-report', 'disassociating', 'none'),
  r('9.21', 'disassociating', 'rx-roiv-event-report', 'disassociating', 'none'),
  r('9.21', 'disassociating', 'rx-roiv-other', 'disassociating', 'none'),
  r('9.26', 'disassociating', 'rx-rors', 'unassociated', 'tx-abrt'),
  r('9.26', 'disassociating', 'rx-roer', 'unassociated', 'tx-abrt'),
  r('9.26', 'disassociating', 'rx-rorj', 'unassociated', 'tx-abrt'),
];

const BY_KEY: ReadonlyMap<string, StateTableRow> = new Map(MANAGER_STATE_TABLE.map((row) => [`${row.state}|${row.event}`, row]));

/**
 * The row for (state, event). An event with no row in a state is one the standard does not
 * expect there (e.g. a transport connection while connected); the manager treats it as ignored.
 */
export function transition(state: ManagerState, event: ManagerEvent): StateTableRow | undefined {
  return BY_KEY.get(`${state}|${event}`);
}
