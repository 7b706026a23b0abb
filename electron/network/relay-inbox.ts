import WebSocket from 'ws';
import type { RelayStatus } from '../../shared/ipc/network-contract';
import { RELAY_ABSOLUTE_MAX_CT, RELAY_ROUTES, RelayStreamFrameSchema, type RelayEnvelope } from '../../shared/network/relay';
import type { RequestSigning } from './network-http';
import type { Logger } from '../logging/logger';

/** Reconnect after a lost stream: 1 s, doubling, at most a minute. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** The largest frame taken from the relay: a message of the absolute maximum size in base64, and its JSON. */
const MAX_FRAME_BYTES = Math.ceil((RELAY_ABSOLUTE_MAX_CT * 4) / 3) + 16 * 1024;
/** (from, id) pairs remembered so a message delivered twice (an ack lost) is journaled once per process. */
const MAX_REMEMBERED = 50_000;

export interface RelayConnection {
  /** The server's base URL (http or https). */
  readonly url: string;
  /** Signs a member request with the delegated transport key. */
  readonly sign: RequestSigning;
}

export interface RelayInboxDeps {
  readonly log: Logger;
  /** The connection to use now, or null with the reason the relay waits (not a member, no current delegation, no vault). */
  connection(): Promise<RelayConnection | { readonly waiting: string }>;
  /** Journals one arrival durably (sealed, fsynced); resolves once it is safe to ack. */
  journal(envelope: RelayEnvelope, receivedAt: number): Promise<void>;
  /** Acknowledges ids to the relay (it then deletes them). */
  ack(connection: RelayConnection, ids: readonly string[]): Promise<void>;
  /** Told whenever status() may have changed. */
  changed(): void;
}

/**
 * The body's relay inbox (issue 10 item 9, the node's half): while the node is an approved member
 * with a current transport delegation, it keeps the relay's WebSocket stream open, journals every
 * message as received (kind relay.message, sealed to the vault: this runs while the vault is locked)
 * and acknowledges it only after the journal's fsync, so a crash loses nothing: an unacked message
 * comes again on the next connection. The stream is reopened with backoff when it drops. Nothing
 * here opens a message (the message key is the mind's) nor logs one.
 */
export class RelayInbox {
  private socket: WebSocket | null = null;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly remembered = new Set<string>();
  private current: RelayStatus = { state: 'off', detail: null, received: 0, lastMessageAt: null };

  constructor(private readonly deps: RelayInboxDeps) {}

  status(): RelayStatus {
    return this.current;
  }

  /** Starts (or restarts, after a new delegation) the stream. */
  start(): void {
    this.running = true;
    this.closeSocket();
    this.clearRetry();
    this.retryMs = RETRY_FIRST_MS;
    void this.connect();
  }

  /** Closes the stream and stops reconnecting; waits for arrivals being journaled. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearRetry();
    this.closeSocket();
    this.set({ state: 'off', detail: null });
    await this.chain;
  }

  private set(change: Partial<RelayStatus>): void {
    this.current = { ...this.current, ...change };
    this.deps.changed();
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
    }
  }

  private retryLater(detail: string): void {
    if (!this.running) return;
    this.set({ state: 'retrying', detail });
    this.clearRetry();
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private async connect(): Promise<void> {
    if (!this.running || this.socket !== null) return;
    let connection: Awaited<ReturnType<RelayInboxDeps['connection']>>;
    try {
      connection = await this.deps.connection();
    } catch {
      return this.retryLater('The node could not read its network settings.');
    }
    if (!this.running || this.socket !== null) return;
    if ('waiting' in connection) {
      // Nothing to retry until something changes (a certificate, an unlock): start() is called then.
      this.set({ state: 'waiting', detail: connection.waiting });
      return;
    }
    const target = new URL(RELAY_ROUTES.stream, `${connection.url}/`);
    let headers: Record<string, string>;
    try {
      headers = await connection.sign('GET', `${target.pathname}${target.search}`, undefined);
    } catch {
      return this.retryLater('The node could not sign its relay request.');
    }
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
    this.set({ state: 'connecting', detail: null });
    const socket = new WebSocket(target, { headers, maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 15_000, perMessageDeflate: false, followRedirects: false });
    this.socket = socket;
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      this.closeSocket();
      this.retryLater(`The relay refused the stream (HTTP ${response.statusCode ?? 0}).`);
    });
    socket.on('error', () => {
      if (this.socket !== socket) return;
      this.closeSocket();
      this.retryLater('The relay could not be reached.');
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retryLater('The relay stream closed; reconnecting.');
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      this.onFrame(socket, connection, text);
    });
  }

  private onFrame(socket: WebSocket, connection: RelayConnection, text: string): void {
    let frame;
    try {
      frame = RelayStreamFrameSchema.safeParse(JSON.parse(text));
    } catch {
      frame = null;
    }
    if (frame === null || !frame.success) {
      this.deps.log.warn('relay sent a frame this node does not understand');
      return;
    }
    const value = frame.data;
    if (value.type === 'ready') {
      this.retryMs = RETRY_FIRST_MS;
      this.set({ state: 'connected', detail: null });
      return;
    }
    const envelope = value.envelope;
    // One at a time, in arrival order: journal (fsync), then ack.
    this.chain = this.chain.then(async () => {
      if (this.socket !== socket) return;
      const key = `${envelope.from}:${envelope.id}`;
      try {
        if (!this.remembered.has(key)) {
          await this.deps.journal(envelope, Date.now());
          this.remember(key);
          this.set({ received: this.current.received + 1, lastMessageAt: new Date().toISOString() });
        }
        await this.deps.ack(connection, [envelope.id]);
      } catch {
        // Not journaled or not acked: the relay delivers it again on the next connection.
        this.deps.log.warn('a relay message could not be journaled or acknowledged; the stream restarts');
        if (this.socket === socket) {
          this.closeSocket();
          this.retryLater('A message could not be stored or acknowledged; retrying.');
        }
      }
    });
  }

  private remember(key: string): void {
    this.remembered.add(key);
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.values().next().value!);
  }
}
