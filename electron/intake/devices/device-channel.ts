import { randomBytes } from 'node:crypto';
import net from 'node:net';
import nodePath from 'node:path';
import type { ListenerStatus } from '../../../shared/ipc';
import { SerialSettingsSchema, type DevicesStatus, type SerialSettings } from '../../../shared/ipc/devices-contract';
import type { IntakeChannel, IntakeVaultPorts } from '../intake-channel';
import type { DeviceRegistry } from './device-registry';
import { DEVICE_DEDUPE_DIR, DeviceDedupe } from './device-duplicates';
import { DeviceSession, type DeviceLink } from './device-session';
import type { Timers } from './manager';
import { listSerialPorts, openSerialLink, serialPortPresent, type SerialLinkEvents, type SerialPortInfo } from './serial-link';

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface DeviceChannelOptions {
  readonly log: Logger;
  readonly registry: DeviceRegistry;
  /** The TCP listener for gateways and tests (null: none). */
  readonly tcp?: { readonly address: string; readonly port: number } | null;
  /** Serial ports to open once the vault is there (`--serial-port PATH`). */
  readonly serialPorts?: readonly string[];
  /** Told whenever ports, connections or approvals may have changed. */
  readonly onChange?: (status: DevicesStatus) => void;
  /** For tests: how a serial port is opened (the real one uses `serialport`). */
  readonly openSerial?: typeof openSerialLink;
  /** For tests: whether a port's path is there now (the real one asks the OS). */
  readonly portPresent?: (path: string) => Promise<boolean>;
  readonly timers?: Timers;
  /** At most this many TCP connections at once (more are refused). */
  readonly maxTcpConnections?: number;
}

interface PortEntry {
  path: string;
  settings: SerialSettings;
  state: 'opening' | 'open' | 'closed';
  reason?: string;
  link?: DeviceLink;
  session?: DeviceSession;
  /** Open it whenever the vault is there (false once an operator closed it or the channel detached). */
  wanted: boolean;
  /** Which open this is: events of an earlier link are ignored. */
  attempt: number;
  /** Opens that failed in a row while the path was there (the retry backs off). */
  failures: number;
  reopen?: unknown;
}

/** Hot-plug: how often a port that went away is looked for, and the longest wait between opens that fail. */
export const REOPEN_INTERVAL_MS = 1_000;
export const REOPEN_MAX_INTERVAL_MS = 30_000;
const realTimers: Timers = { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };

function newEntry(path: string, settings: SerialSettings): PortEntry {
  return { path, settings, state: 'closed', reason: 'Opens once the vault is open.', wanted: true, attempt: 0, failures: 0 };
}

/** Bytes a slow TCP peer may leave unread before it is disconnected. */
const MAX_UNSENT = 256 * 1024;

/**
 * The IEEE 11073-20601 manager as an intake channel: serial ports (listed by the OS or added by
 * path) and a TCP listener, each connection one DeviceSession. Nothing opens before a vault
 * exists (design §4 rule 0): a port asked for earlier waits and opens on attach.
 */
export class DeviceChannel implements IntakeChannel {
  readonly channel = 'devices' as const;
  private ports: IntakeVaultPorts | undefined;
  private readonly serial = new Map<string, PortEntry>();
  private readonly tcpSessions = new Set<DeviceSession>();
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private tcpAddress: { address: string; port: number } | null = null;
  private readonly listeners = new Set<() => void>();
  /** Opened at each attach (caught up from the journal: the vault's storage may be another one), closed at detach. */
  private dedupe: DeviceDedupe | undefined;
  private readonly awaiting = new Map<string, { systemId: string; manufacturer?: string; model?: string; firstSeenAt: string }>();
  /** This manager's EUI-64 (random, locally administered). */
  readonly managerSystemId: Uint8Array;
  private statusError: string | undefined;
  /** The last attach failed (the vault is open, the channel is not): the status is an error. */
  private attachFailed = false;
  /** An attach under way (a second one waits for it instead of opening a second index). */
  private attaching: Promise<void> | null = null;

  constructor(private readonly options: DeviceChannelOptions) {
    const id = randomBytes(8);
    id[0] = (id[0]! | 0x02) & 0xfe;
    this.managerSystemId = Uint8Array.from(id);
    for (const path of options.serialPorts ?? []) this.serial.set(path, newEntry(path, SerialSettingsSchema.parse({})));
  }

  status(): ListenerStatus {
    if (this.ports === undefined && this.attachFailed && this.statusError !== undefined) return { channel: this.channel, state: 'error', reason: this.statusError };
    if (this.ports === undefined) return { channel: this.channel, state: 'closed', reason: this.statusError ?? 'Opens once the vault is open.' };
    return { channel: this.channel, state: 'listening' };
  }

  onStatusChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async attach(ports: IntakeVaultPorts): Promise<void> {
    // Attached, or attaching: a second attach would open a second index and listener and lose the first.
    if (this.ports !== undefined) return;
    if (this.attaching !== null) return this.attaching;
    this.attaching = this.attachNow(ports);
    try {
      await this.attaching;
    } finally {
      this.attaching = null;
    }
  }

  private async attachNow(ports: IntakeVaultPorts): Promise<void> {
    try {
      this.dedupe = await DeviceDedupe.open(nodePath.join(this.options.registry.dataDir, ...DEVICE_DEDUPE_DIR), ports.journal, { log: this.options.log });
    } catch (error) {
      // Said in the status (not 'Opens once the vault is open.'): the vault is open, the channel is not.
      this.attachFailed = true;
      this.statusError = `The device duplicate index could not be opened, so device readings are not received: ${(error instanceof Error ? error.message : String(error)).slice(0, 300)}`;
      this.changed();
      throw error;
    }
    this.ports = ports;
    this.statusError = undefined;
    this.attachFailed = false;
    if (this.options.tcp !== undefined && this.options.tcp !== null) await this.listenTcp(this.options.tcp);
    for (const entry of this.serial.values()) if (entry.state === 'closed') this.openEntry(entry);
    this.changed();
  }

  async detach(reason: string): Promise<void> {
    const sessions = [...this.tcpSessions, ...[...this.serial.values()].flatMap((e) => (e.session === undefined ? [] : [e.session]))];
    for (const entry of this.serial.values()) this.unwant(entry);
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    for (const entry of this.serial.values()) {
      entry.link?.close();
      entry.link = undefined;
      entry.session = undefined;
      entry.state = 'closed';
      entry.reason = reason;
    }
    // A peer that does not close its end would keep the server open: every connection is cut now.
    const closing = new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    for (const socket of this.sockets) socket.destroy();
    await closing;
    for (const s of this.tcpSessions) s.closed();
    this.tcpSessions.clear();
    this.server = undefined;
    this.tcpAddress = null;
    this.ports = undefined;
    // Written out: the next attach reads the journal only after what the index holds.
    const dedupe = this.dedupe;
    this.dedupe = undefined;
    await dedupe?.close().catch((error: unknown) => this.options.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'device duplicate index: could not be written out at close; the next attach reads the journal again'));
    this.statusError = reason;
    this.attachFailed = false;
    this.changed();
  }

  /** Serial ports the OS lists; a failing listing (no udev in a container…) says why. */
  async listPorts(): Promise<{ ports: SerialPortInfo[]; error?: string }> {
    return listSerialPorts();
  }

  /** Opens (or re-opens with new settings) a serial port by path. */
  async openPort(path: string, settings?: Partial<SerialSettings>): Promise<DevicesStatus> {
    const existing = this.serial.get(path);
    if (existing?.session !== undefined) await this.closePort(path);
    if (existing !== undefined) this.unwant(existing);
    const entry = newEntry(path, SerialSettingsSchema.parse(settings ?? {}));
    this.serial.set(path, entry);
    if (this.ports !== undefined) this.openEntry(entry);
    this.changed();
    return this.snapshot();
  }

  async closePort(path: string): Promise<DevicesStatus> {
    const entry = this.serial.get(path);
    if (entry !== undefined) {
      this.unwant(entry);
      await entry.session?.close().catch(() => undefined);
      entry.link?.close();
      this.serial.delete(path);
    }
    this.changed();
    return this.snapshot();
  }

  snapshot(): DevicesStatus {
    const connections = [...[...this.serial.values()].flatMap((e) => (e.session === undefined ? [] : [e.session])), ...this.tcpSessions].map((s) => s.snapshot());
    // Decided since it was seen: no longer awaiting.
    for (const systemId of [...this.awaiting.keys()]) if (this.options.registry.approvalOf(systemId) !== 'pending') this.awaiting.delete(systemId);
    return {
      ports: [...this.serial.values()].map((e) => ({ path: e.path, state: e.state, ...(e.reason === undefined ? {} : { reason: e.reason }), settings: e.settings })),
      connections,
      tcp: this.tcpAddress,
      awaitingApproval: [...this.awaiting.values()].slice(0, 256),
    };
  }

  /** Erased records: their readings are forgotten, so a resend of one is stored again. */
  afterErasure(seqs: readonly number[]): Promise<void> {
    return this.dedupe?.forget(seqs) ?? Promise.resolve();
  }

  /** Tells the UI the approvals changed (a decision affects the connections' approval). */
  approvalsChanged(): void {
    this.changed();
  }

  private changeQueued = false;
  private changed(): void {
    for (const listener of [...this.listeners]) listener();
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      this.options.onChange?.(this.snapshot());
    });
  }

  private session(link: DeviceLink): DeviceSession {
    const ports = this.ports;
    const dedupe = this.dedupe;
    if (ports === undefined || dedupe === undefined) throw new Error('The device channel is not attached.');
    return new DeviceSession({
      link,
      ports,
      registry: this.options.registry,
      dedupe,
      managerSystemId: this.managerSystemId,
      onChange: () => this.changed(),
      onUnknownDevice: (systemId, attributes) => {
        const seen = this.awaiting.get(systemId);
        this.awaiting.set(systemId, {
          systemId,
          ...(attributes.manufacturer ? { manufacturer: attributes.manufacturer } : {}),
          ...(attributes.model ? { model: attributes.model } : {}),
          firstSeenAt: seen?.firstSeenAt ?? new Date().toISOString(),
        });
        if (this.awaiting.size > 256) this.awaiting.delete(this.awaiting.keys().next().value!);
      },
      ...(this.options.timers === undefined ? {} : { timers: this.options.timers }),
    });
  }

  private openEntry(entry: PortEntry): void {
    entry.state = 'opening';
    entry.reason = undefined;
    entry.wanted = true;
    const attempt = ++entry.attempt;
    const current = () => entry.attempt === attempt && this.serial.get(entry.path) === entry;
    const open = this.options.openSerial ?? openSerialLink;
    let opened = false;
    const events: SerialLinkEvents = {
      opened: () => {
        if (!current()) return;
        opened = true;
        entry.failures = 0;
        entry.state = 'open';
        this.options.log.info({ port: entry.path }, 'device serial port open');
        this.changed();
      },
      data: (chunk) => {
        if (current()) entry.session?.data(chunk);
      },
      closed: (reason) => {
        if (!current()) return;
        entry.session?.closed();
        entry.session = undefined;
        entry.link = undefined;
        entry.state = 'closed';
        entry.reason = reason;
        // Not closed on purpose (unplugged, not there yet, an I/O error): look for it again.
        if (entry.wanted && this.ports !== undefined) {
          if (!opened) entry.failures++;
          entry.reason = `${reason} Reopens by itself when the port is back.`;
          this.scheduleReopen(entry);
        }
        this.options.log.info({ port: entry.path, reason }, 'device serial port closed');
        this.changed();
      },
    };
    const link = open(entry.path, entry.settings, events);
    entry.link = link;
    entry.session = this.session(link);
    this.changed();
  }

  /**
   * Hot-plug: once the port's path is there again (a USB-serial adapter plugged back in, a pty
   * made again), the same path is opened with the same settings. An absent path is looked for
   * every REOPEN_INTERVAL_MS; a present one that fails to open is retried with a doubling wait.
   */
  private scheduleReopen(entry: PortEntry): void {
    const timers = this.options.timers ?? realTimers;
    if (entry.reopen !== undefined) timers.clearTimeout(entry.reopen);
    const delay = Math.min(REOPEN_MAX_INTERVAL_MS, REOPEN_INTERVAL_MS * 2 ** entry.failures);
    entry.reopen = timers.setTimeout(() => {
      entry.reopen = undefined;
      const present = this.options.portPresent ?? serialPortPresent;
      void present(entry.path)
        .catch(() => false)
        .then((there) => {
          if (!entry.wanted || this.ports === undefined || this.serial.get(entry.path) !== entry || entry.state !== 'closed') return;
          if (!there) {
            entry.failures = 0; // gone is not a failed open: keep looking every interval
            this.scheduleReopen(entry);
          } else {
            this.options.log.info({ port: entry.path }, 'device serial port is back; reopening');
            this.openEntry(entry);
          }
        });
    }, delay);
  }

  /** Closed on purpose (an operator, a detach): no reopening. */
  private unwant(entry: PortEntry): void {
    entry.wanted = false;
    if (entry.reopen !== undefined) (this.options.timers ?? realTimers).clearTimeout(entry.reopen);
    entry.reopen = undefined;
  }

  private async listenTcp(tcp: { address: string; port: number }): Promise<void> {
    const server = net.createServer((socket) => {
      if (this.ports === undefined) {
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      this.sockets.add(socket);
      const link: DeviceLink = {
        name: `tcp:${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
        write: (bytes) => {
          if (socket.destroyed) return;
          // A peer that does not read its answers is cut off before its backlog grows.
          if (socket.writableLength > MAX_UNSENT) socket.destroy();
          else socket.write(bytes);
        },
        close: () => socket.end(),
      };
      const session = this.session(link);
      this.tcpSessions.add(session);
      socket.on('data', (chunk: Buffer) => session.data(chunk));
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.tcpSessions.delete(session);
        session.closed();
      });
      this.changed();
    });
    server.maxConnections = this.options.maxTcpConnections ?? 32;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(tcp.port, tcp.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.options.log.warn({ code: (error as NodeJS.ErrnoException).code }, 'device TCP listener error'));
    const address = server.address();
    this.server = server;
    this.tcpAddress = typeof address === 'object' && address !== null ? { address: address.address, port: address.port } : null;
  }
}
