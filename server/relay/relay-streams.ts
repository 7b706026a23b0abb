import { WebSocket } from 'ws';
import { RELAY_CLOSE_SHUTDOWN, RELAY_CLOSE_SLOW_CONSUMER } from '../../shared/network/relay';
import type { FastifyBaseLogger } from 'fastify';
import type { PendingRow, RelayService } from './relay-service';

/**
 * The members' open streams (GET /v1/relay/stream, a WebSocket). Each connection has a cursor (the
 * last seq it was sent; seqs count per recipient and become visible in order) and pulls from the
 * database when told a message for its member was stored, on every heartbeat, and once when it
 * opens (so what arrived while the member was offline comes first). Nothing is kept per connection
 * but the cursor and what `ws` has not yet written.
 *
 * Backpressure: before each frame the connection's unsent bytes (`bufferedAmount`: ws's queue and the
 * socket's) are checked; over `maxBufferedBytes` the consumer is too slow: it is closed with 4008 and
 * then cut off, and its messages stay stored until acked, for its next connection. So a connection
 * holds at most maxBufferedBytes plus one message. Heartbeats: a ping every `heartbeatMs`; no pong by
 * the next one and the connection is cut. At most `maxStreamsPerMember` streams per member.
 */
export interface RelayStreamOptions {
  readonly maxStreamsPerMember: number;
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  readonly pageSize: number;
  readonly log: FastifyBaseLogger;
}

export interface RelayStreamStats {
  readonly connections: number;
  /** The most unsent bytes any connection has held, since start. */
  readonly maxBufferedBytes: number;
  /** Connections cut for reading too slowly. */
  readonly slowConsumersDropped: number;
  readonly framesSent: number;
}

class StreamConnection {
  cursor = 0;
  alive = true;
  closed = false;
  /** A read for this connection is in flight (its own pull, or a batch the hub runs). */
  busy = false;
  /** Told of new messages while busy: read again after. */
  again = false;

  constructor(
    readonly member: string,
    readonly ws: WebSocket,
    private readonly hub: RelayStreams,
  ) {}

  /** Sends what is pending after the cursor; coalesces calls that come while a read runs. */
  async pull(): Promise<void> {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const rows = await this.hub.service.pending(this.member, this.cursor, this.hub.options.pageSize);
          if (!this.deliver(rows) || rows.length < this.hub.options.pageSize) break;
        }
      } while (this.again && !this.closed);
    } catch (error) {
      this.hub.readFailed(error);
    } finally {
      this.busy = false;
    }
  }

  /** Writes rows after the cursor, in order; false once the connection is gone or dropped as slow. */
  deliver(rows: readonly PendingRow[]): boolean {
    for (const row of rows) {
      if (this.closed || this.ws.readyState !== WebSocket.OPEN) return false;
      if (row.seq <= this.cursor) continue;
      if (this.ws.bufferedAmount > this.hub.options.maxBufferedBytes) {
        this.hub.dropSlow(this);
        return false;
      }
      this.ws.send(`{"type":"message","seq":${row.seq},"envelope":${row.envelope}}`);
      this.cursor = row.seq;
      this.hub.sent(this.ws.bufferedAmount);
    }
    return !this.closed;
  }
}

export class RelayStreams {
  private readonly byMember = new Map<string, Set<StreamConnection>>();
  private readonly reserved = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly notified = new Set<string>();
  private flushing = false;
  private stats = { maxBufferedBytes: 0, slowConsumersDropped: 0, framesSent: 0 };

  constructor(
    readonly service: RelayService,
    readonly options: RelayStreamOptions,
  ) {
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Holds one of the member's stream slots before the upgrade completes; false when all are taken. */
  reserve(member: string): boolean {
    const count = (this.byMember.get(member)?.size ?? 0) + (this.reserved.get(member) ?? 0);
    if (count >= this.options.maxStreamsPerMember) return false;
    this.reserved.set(member, (this.reserved.get(member) ?? 0) + 1);
    return true;
  }

  unreserve(member: string): void {
    const left = (this.reserved.get(member) ?? 1) - 1;
    if (left <= 0) this.reserved.delete(member);
    else this.reserved.set(member, left);
  }

  /** Takes over an upgraded socket for a reserved member. */
  attach(ws: WebSocket, member: string): void {
    this.unreserve(member);
    const connection = new StreamConnection(member, ws, this);
    let set = this.byMember.get(member);
    if (set === undefined) this.byMember.set(member, (set = new Set()));
    set.add(connection);
    const gone = (): void => {
      connection.closed = true;
      set.delete(connection);
      if (set.size === 0 && this.byMember.get(member) === set) this.byMember.delete(member);
    };
    ws.on('close', gone);
    ws.on('error', () => {
      gone();
      ws.terminate();
    });
    ws.on('pong', () => {
      connection.alive = true;
    });
    // Members send nothing on the stream (acks are POSTs); anything they send is ignored.
    ws.on('message', () => undefined);
    ws.send(JSON.stringify({ type: 'ready', member }));
    void connection.pull();
  }

  /**
   * A message for `member` was stored. Notifications that arrive together (a broadcast's, one per
   * recipient) are read in one query for every idle connection concerned, not one query each.
   */
  notify(member: string): void {
    if (!this.byMember.has(member)) return;
    this.notified.add(member);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const members = [...this.notified];
    this.notified.clear();
    this.flushing = false;
    const batch: StreamConnection[] = [];
    for (const member of members) {
      for (const connection of this.byMember.get(member) ?? []) {
        if (connection.closed) continue;
        if (connection.busy) connection.again = true;
        else batch.push(connection);
      }
    }
    if (batch.length === 0) return;
    for (const connection of batch) connection.busy = true;
    let rows: PendingRow[][] = [];
    try {
      rows = await this.service.pendingFor(batch.map((c) => ({ recipient: c.member, after: c.cursor })), this.options.pageSize);
    } catch (error) {
      this.readFailed(error);
    }
    batch.forEach((connection, i) => {
      const mine = rows[i] ?? [];
      const open = connection.deliver(mine);
      connection.busy = false;
      // A full page may have more behind it; a failed batch or news while busy: read on its own.
      if (open && (mine.length === this.options.pageSize || connection.again || rows.length === 0)) void connection.pull();
    });
  }

  readFailed(error: unknown): void {
    this.options.log.warn({ err: { type: (error as Error).name, message: (error as Error).message } }, 'relay stream read failed');
  }

  /** Every stream re-reads (after notifications may have been lost). */
  resync(): void {
    for (const set of this.byMember.values()) for (const connection of set) void connection.pull();
  }

  sent(buffered: number): void {
    this.stats.framesSent++;
    if (buffered > this.stats.maxBufferedBytes) this.stats.maxBufferedBytes = buffered;
  }

  dropSlow(connection: StreamConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    this.stats.slowConsumersDropped++;
    this.options.log.info({ relay: 'slow_consumer' }, 'relay stream closed: the consumer reads too slowly');
    connection.ws.close(RELAY_CLOSE_SLOW_CONSUMER, 'slow consumer');
    // The close frame waits behind what the consumer does not read: cut the socket to free it now.
    connection.ws.terminate();
  }

  statistics(): RelayStreamStats {
    let connections = 0;
    for (const set of this.byMember.values()) connections += set.size;
    return { connections, ...this.stats };
  }

  private beat(): void {
    for (const set of this.byMember.values()) {
      for (const connection of set) {
        if (!connection.alive) {
          connection.closed = true;
          connection.ws.terminate();
          continue;
        }
        connection.alive = false;
        connection.ws.ping();
        void connection.pull();
      }
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const set of this.byMember.values()) {
      for (const connection of set) {
        connection.closed = true;
        connection.ws.close(RELAY_CLOSE_SHUTDOWN, 'server shutting down');
        connection.ws.terminate();
      }
    }
    this.byMember.clear();
  }
}
