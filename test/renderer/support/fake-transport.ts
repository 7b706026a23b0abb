import type { NetworkState } from '../../../shared/ipc/network-contract';
import { DEFAULT_BACKUP_SETTINGS } from '../../../shared/ipc/vault-contract';
import type { Transport } from '../../../shared/ipc/api-client';
import type { EventName, EventPayloadOf, MethodName } from '../../../shared/ipc/contract';
import type { ContractErrorData, WireResult } from '../../../shared/ipc/errors';
import type { AppInfo } from '../../../shared/ipc/app-contract';
import { DEFAULT_DICOM_SETTINGS } from '../../../shared/ipc/dicom-contract';
import { DEFAULT_INTAKE_SETTINGS, IntakeSettingsSchema, type IntakeMonitor, type IntakeSettings, type IntakeStatus } from '../../../shared/ipc/intake-contract';
import type { Prefs } from '../../../shared/ipc/prefs-contract';
import type { VaultStatus } from '../../../shared/ipc/vault-contract';

export const NO_VAULT_REASON =
  'No vault exists yet: listeners open once the vault is created, so that everything received can be sealed.';

export const TEST_INFO: AppInfo = {
  productName: 'HDMS Node',
  version: '9.8.7',
  host: 'shell',
  platform: 'win32',
  dataDir: 'C:\\Users\\clinic\\AppData\\Roaming\\hdms-node',
  startedAt: '2025-01-01T08:00:00.000Z',
};

export const CLOSED_INTAKE: IntakeStatus = {
  listeners: (['hl7-mllp', 'dicom', 'devices', 'file-import'] as const).map((channel) => ({
    channel,
    state: 'closed' as const,
    reason: NO_VAULT_REASON,
  })),
};

export const EMPTY_MONITOR: IntakeMonitor = {
  listener: { channel: 'hl7-mllp', state: 'closed', reason: NO_VAULT_REASON },
  totals: { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0 },
  senders: [],
  recent: [],
  throughput: [],
  connections: [],
};

type Handler = (payload: unknown) => unknown;

/** A handler that refuses as the body does (an E_BAD_REQUEST with this message). */
export class FakeRefusal extends Error {}

export interface FakeNode {
  readonly transport: Transport;
  /** Every call the UI made, in order. */
  readonly calls: { method: MethodName; payload: unknown }[];
  /** The body's current state; handlers read and change it. */
  state: { info: AppInfo; prefs: Prefs; vault: VaultStatus; intake: IntakeStatus; monitor: IntakeMonitor; intakeSettings: IntakeSettings; network: NetworkState | null };
  /** Replaces (or adds) one method's handler; throw FakeRefusal to answer E_BAD_REQUEST. */
  handle(method: MethodName, handler: Handler): void;
  /** Makes one method answer with an error (until cleared with `undefined`). */
  failWith(method: MethodName, error: ContractErrorData | undefined): void;
  /** Pushes a body → mind event to every subscriber. */
  emit<E extends EventName>(name: E, payload: EventPayloadOf<E>): void;
  subscriberCount(name: EventName): number;
  /** The browser shell's socket dropping without a stop announced; `reachable`: whether the node answered a new connection. */
  loseConnection(reachable: boolean): void;
}

/**
 * A stand-in for the body, speaking the contract's wire results exactly as both real transports
 * do, so components are tested through the real typed API client and its ContractError.
 */
export function createFakeNode(overrides: Partial<FakeNode['state']> = {}): FakeNode {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const lostListeners = new Set<(reachable: boolean) => void>();
  const failures = new Map<MethodName, ContractErrorData>();
  const node: FakeNode = {
    calls: [],
    state: {
      info: TEST_INFO,
      prefs: { theme: 'system', density: 'compact' },
      vault: { state: 'absent' },
      intake: CLOSED_INTAKE,
      monitor: EMPTY_MONITOR,
      intakeSettings: DEFAULT_INTAKE_SETTINGS,
      network: null,
      ...overrides,
    },
    handle(method, handler) {
      handlers[method] = handler;
    },
    failWith(method, error) {
      if (error === undefined) failures.delete(method);
      else failures.set(method, error);
    },
    emit(name, payload) {
      for (const listener of listeners.get(name) ?? []) listener(payload);
    },
    subscriberCount(name) {
      return listeners.get(name)?.size ?? 0;
    },
    loseConnection(reachable) {
      for (const listener of lostListeners) listener(reachable);
    },
    transport: {
      kind: 'websocket',
      async call(method, payload): Promise<WireResult<unknown>> {
        node.calls.push({ method, payload });
        const failure = failures.get(method);
        if (failure !== undefined) return { ok: false, error: failure };
        const handler = handlers[method];
        if (handler === undefined) return { ok: false, error: { code: 'E_INTERNAL', message: `The fake node has no ${method}.` } };
        try {
          return { ok: true, value: await handler(payload) };
        } catch (error) {
          if (error instanceof FakeRefusal) return { ok: false, error: { code: 'E_BAD_REQUEST', message: error.message } };
          throw error;
        }
      },
      subscribe(name, listener) {
        const set = listeners.get(name) ?? new Set();
        listeners.set(name, set);
        const wrapped = listener as (payload: unknown) => void;
        set.add(wrapped);
        return () => set.delete(wrapped);
      },
      onConnectionLost(listener) {
        lostListeners.add(listener);
        return () => lostListeners.delete(listener);
      },
    },
  };
  // The UI tests need only these; any other method answers an error, as a broken node would.
  const handlers: Partial<Record<MethodName, Handler>> = {
    'app.info': () => node.state.info,
    'prefs.get': () => node.state.prefs,
    'prefs.update': (change) => {
      node.state.prefs = { ...node.state.prefs, ...(change as Partial<Prefs>) };
      return node.state.prefs;
    },
    'vault.status': () => node.state.vault,
    'intake.status': () => node.state.intake,
    'hl7.monitor': () => node.state.monitor,
    'hl7.resetCounters': () => {
      const since = '2025-03-02T09:00:00.000Z';
      const zero = { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0 };
      node.state.monitor = { ...node.state.monitor, countersSince: since, totals: zero, senders: [] };
      return { seq: 99, since };
    },
    'hl7.getSettings': () => ({ settings: node.state.intakeSettings, portOverride: null, listener: node.state.monitor.listener }),
    // Backups as the body answers with no backup made and the default settings (a test may handle() its own).
    'backup.getSettings': () => ({ settings: DEFAULT_BACKUP_SETTINGS, folder: '/data/backups', defaultFolder: '/data/backups', dialogs: false }),
    'backup.status': () => ({ last: null, failure: null, nextAt: null, erasureRecord: null }),
    'backup.list': () => ({ backups: [] }),
    'dicom.getSettings': () => ({ settings: DEFAULT_DICOM_SETTINGS, portOverride: null, listener: { channel: 'dicom', state: 'closed', reason: NO_VAULT_REASON } }),
    'dicom.status': () => ({
      listener: { channel: 'dicom', state: 'closed', reason: NO_VAULT_REASON },
      aeTitle: DEFAULT_DICOM_SETTINGS.aeTitle,
      portOverride: null,
      counters: { associations: 0, rejectedAssociations: 0, echoes: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, protocolErrors: 0, bytes: 0 },
      callers: [],
      open: [],
    }),
    // No serial port open, no device connected (the intake monitor's one line on devices).
    'devices.status': () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] }),
    'network.status': () => ({ state: node.state.network }),
    'network.refresh': () => ({ state: node.state.network }),
    'hl7.updateSettings': (change) => {
      const next = IntakeSettingsSchema.safeParse({ ...node.state.intakeSettings, ...(change as Partial<IntakeSettings>) });
      if (!next.success) throw new FakeRefusal(`Invalid settings: ${next.error.issues.map((issue) => issue.path.join('.')).join(', ')}.`);
      node.state.intakeSettings = next.data;
      return { settings: next.data, portOverride: null, listener: { channel: 'hl7-mllp', state: 'listening', address: next.data.bindAddress, port: next.data.port } };
    },
  };
  return node;
}
