import { decodeApdu, decodeConfigReportRsp, type Apdu } from '../../../../electron/intake/devices/apdu';
import { Manager20601, type AgentAssociation, type AgentReport, type ExtendedConfigurationStore, type MdsAttributes, type ProtocolError, type Timers } from '../../../../electron/intake/devices/manager';
import type { StateTableRow } from '../../../../electron/intake/devices/manager-state-table';

/** Timers the test fires by hand (no waiting on the clock). */
export class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires every pending timer of `ms` (all when omitted). */
  fire(ms?: number): number {
    let fired = 0;
    for (const [id, t] of [...this.pending]) {
      if (ms !== undefined && t.ms !== ms) continue;
      this.pending.delete(id);
      t.callback();
      fired++;
    }
    return fired;
  }
}

export class MemoryConfigurationStore implements ExtendedConfigurationStore {
  readonly map = new Map<string, Uint8Array>();
  get(systemId: string, configId: number) {
    return this.map.get(`${systemId}/${configId}`);
  }
  async put(systemId: string, configId: number, report: Uint8Array) {
    this.map.set(`${systemId}/${configId}`, report);
  }
}

export const MANAGER_SYSTEM_ID = Uint8Array.from([0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x00, 0x01]);

export function harness(options: { store?: MemoryConfigurationStore; reportGate?: () => Promise<void>; maxQueued?: number } = {}) {
  const sent: Apdu[] = [];
  const rows: StateTableRow[] = [];
  const reports: AgentReport[] = [];
  const errors: ProtocolError[] = [];
  const associations: AgentAssociation[] = [];
  const attributes: MdsAttributes[] = [];
  const timers = new ManualTimers();
  const store = options.store ?? new MemoryConfigurationStore();
  const manager = new Manager20601({
    systemId: MANAGER_SYSTEM_ID,
    send: (bytes) => sent.push(decodeApdu(bytes)),
    configurations: store,
    timers,
    ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    handler: {
      transitioned: (row) => rows.push(row),
      associated: (a) => associations.push(a),
      attributes: (a) => attributes.push(a),
      report: async (r) => {
        await options.reportGate?.();
        reports.push(r);
      },
      protocolError: async (e) => {
        errors.push(e);
      },
    },
  });
  manager.connected();
  const take = () => sent.splice(0, sent.length);
  return { manager, sent, take, rows, reports, errors, associations, attributes, timers, store };
}

export function aareResult(apdu: Apdu | undefined): number | undefined {
  return apdu?.type === 'aare' ? apdu.result : undefined;
}

export function configRsp(apdu: Apdu | undefined) {
  if (apdu?.type !== 'prst' || apdu.data.message.choice !== 0x0201) return undefined;
  return { invokeId: apdu.data.invokeId, ...decodeConfigReportRsp(apdu.data.message.eventReplyInfo) };
}

export function describeApdu(apdu: Apdu | undefined): string {
  if (apdu === undefined) return 'nothing';
  if (apdu.type === 'prst') return `prst 0x${apdu.data.message.choice.toString(16).padStart(4, '0')} #${apdu.data.invokeId}`;
  if (apdu.type === 'aare') return `aare ${apdu.result}`;
  if (apdu.type === 'aarq') return 'aarq';
  return `${apdu.type} ${apdu.reason}`;
}
