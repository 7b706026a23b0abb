import path from 'node:path';
import { z } from 'zod';
import { ApprovedDeviceSchema, type ApprovedDevice } from '../../../shared/ipc/devices-contract';
import { readTextIfExists, writeFileAtomic } from '../../storage/durable-files';
import type { ExtendedConfigurationStore } from './manager';

/**
 * `<data>/devices.json`: the approved-devices list (admins decide: a system id, or a prefix such
 * as a manufacturer's OUI) and the extended configurations agents reported (per system id +
 * config id, so a known device skips the configuration exchange next time). Device identities
 * and object models only: no reading, no patient. Written atomically.
 */
export const DEVICES_FILE = 'devices.json';

const MAX_CONFIGURATIONS = 1_000;

const FileSchema = z.object({
  v: z.literal(1),
  decisions: z.array(ApprovedDeviceSchema).max(10_000),
  /** key `<systemId>/<configId>` → the configuration report's MDER bytes, base64. */
  configurations: z.record(z.string().regex(/^[0-9a-f]{16}\/\d{1,5}$/), z.string().max(90_000)),
});
type DevicesFile = z.infer<typeof FileSchema>;

interface Logger {
  warn(object: object, message: string): void;
}

export class DeviceRegistry implements ExtendedConfigurationStore {
  private state: DevicesFile = { v: 1, decisions: [], configurations: {} };
  private writing: Promise<void> = Promise.resolve();
  readonly file: string;

  constructor(readonly dataDir: string, private readonly log: Logger) {
    this.file = path.join(dataDir, DEVICES_FILE);
  }

  async load(): Promise<void> {
    const text = await readTextIfExists(this.file);
    if (text === null) return;
    try {
      this.state = FileSchema.parse(JSON.parse(text));
    } catch {
      this.log.warn({ file: DEVICES_FILE }, 'devices file is not valid; starting with no approved devices and no stored configurations');
    }
  }

  decisions(): readonly ApprovedDevice[] {
    return this.state.decisions;
  }

  /** The decision for a system id: the longest matching prefix wins (an exact id beats its manufacturer's prefix). */
  approvalOf(systemId: string): 'approved' | 'rejected' | 'pending' {
    let best: ApprovedDevice | undefined;
    for (const d of this.state.decisions) {
      if (systemId.startsWith(d.systemIdPrefix) && (best === undefined || d.systemIdPrefix.length > best.systemIdPrefix.length)) best = d;
    }
    return best?.decision ?? 'pending';
  }

  async decide(decision: Omit<ApprovedDevice, 'decidedAt'>, at = new Date()): Promise<readonly ApprovedDevice[]> {
    const entry: ApprovedDevice = { ...decision, decidedAt: at.toISOString() };
    await this.save((state) => ({ ...state, decisions: [...state.decisions.filter((d) => d.systemIdPrefix !== decision.systemIdPrefix), entry] }));
    return this.state.decisions;
  }

  async forget(systemIdPrefix: string): Promise<readonly ApprovedDevice[]> {
    await this.save((state) => ({ ...state, decisions: state.decisions.filter((d) => d.systemIdPrefix !== systemIdPrefix) }));
    return this.state.decisions;
  }

  get(systemId: string, configId: number): Uint8Array | undefined {
    const stored = this.state.configurations[`${systemId}/${configId}`];
    return stored === undefined ? undefined : Uint8Array.from(Buffer.from(stored, 'base64'));
  }

  async put(systemId: string, configId: number, report: Uint8Array): Promise<void> {
    await this.save((state) => {
      const configurations = { ...state.configurations, [`${systemId}/${configId}`]: Buffer.from(report).toString('base64') };
      const keys = Object.keys(configurations);
      // Bounded: the oldest stored configurations go first (they are asked for again if the device returns).
      for (const key of keys.slice(0, Math.max(0, keys.length - MAX_CONFIGURATIONS))) delete configurations[key];
      return { ...state, configurations };
    });
  }

  /** Serialized read-modify-write: concurrent changes never lose one another. */
  private async save(update: (state: DevicesFile) => DevicesFile): Promise<void> {
    const run = this.writing.then(async () => {
      const next = update(this.state);
      await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
      this.state = next;
    });
    this.writing = run.catch(() => undefined);
    await run;
  }
}
