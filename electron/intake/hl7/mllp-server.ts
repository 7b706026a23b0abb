import net from 'node:net';
import { buildAcks } from './hl7-ack';
import { ERR } from './hl7-errors';
import { peekHeader } from './hl7-front-end';
import type { Hl7Logger, Hl7Peer } from './hl7-intake';
import { DEFAULT_MAX_MESSAGE_BYTES, MllpDeframer, mllpFrame, type MllpEvent } from './mllp-framer';
import { PeerSlots, normalizePeerAddress } from '../peer-slots';

/**
 * The MLLP listener (node:net). Per connection, frames are handled strictly in order: the next
 * frame is not handed to the handler before the previous frame's ACKs are written (senders wait
 * for each ACK anyway). Frames that arrive meanwhile queue.
 *
 * - **Memory is bounded in bytes**, not frames: a connection's held bytes are its unfinished frame,
 *   its queued frames and the frame its handler works on. A connection stops being read (socket
 *   paused: TCP backpressure on the sender) while it holds `maxQueuedBytesPerConnection` with
 *   something queued or being answered. An unfinished frame past 64 KiB needs one of
 *   `maxLargeFrames` grants to go on (given in connection order while all together hold less than
 *   `maxQueuedBytes`, returned when the frame ends), so large frames finish instead of many
 *   waiting on each other half-read; other connections stop while all together hold
 *   `maxQueuedBytes`. Reading resumes as answers release bytes. So the listener holds at most
 *   `maxQueuedBytes` + `maxLargeFrames` × `maxMessageBytes` + 128 KiB per connection (a small
 *   unfinished frame and one read chunk), and a closed connection releases all it held.
 * - A frame over `maxMessageBytes`: `onOversize` answers it (AR by default) when its trailer
 *   arrives, then the connection carries on at the next start byte.
 * - A frame whose trailer never comes: after `idleTimeoutMs` of silence the connection is closed
 *   without an ACK (the sender resends). A connection idle between frames is left open. Neither
 *   this nor the frame timeout runs while the listener itself has paused the connection.
 * - **Slots**: a new connection must complete a frame within `frameTimeoutMs`, and so must every
 *   frame from its first byte, plus the time its bytes so far take at `minFrameBytesPerSecond`
 *   (a large message over a slow WAN link still gets in; a half-open frame or a slow loris keeps
 *   no slot). Such closes are counted per address beside the refusals (reason 'frame-timeout').
 *   A connection that completed a frame may then stay idle. At most `maxConnectionsPerPeer`
 *   connections per peer address, so one address cannot take every slot. When all
 *   `maxConnections` slots are taken, a new (allowed) connection takes the slot of the connection
 *   idle the longest with nothing in progress (no partial frame, nothing queued or being answered),
 *   which is closed; with none such the new one is refused. Idle connections are otherwise kept
 *   (interface engines hold persistent connections): there is no idle timeout between frames.
 * - More than `maxJunkBytes` of bytes outside frames: the connection is closed (not an MLLP peer).
 * - **Log volume**: a connection's first few per-frame warnings (bytes outside a frame, a frame
 *   abandoned by a new start byte, an oversize frame) are logged one by one; the rest are counted
 *   and said in one summary line at most once a minute and when the connection closes, so garbage
 *   cannot push earlier logs out of rotation. Connections refused as they connect likewise: the
 *   first few of a minute one by one, the rest in one summary line after it (and at close).
 * - A handler that throws or rejects: AE with ERR 207, the listener carries on.
 * - Peers: when `host` is not a loopback address, `allowedPeers` is required; others are refused
 *   at connect and logged by address only.
 */

export interface MllpServerOptions {
  /** Default 2575; 0 = any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** IP addresses allowed to connect; required (non-empty) when `host` is not loopback. */
  readonly allowedPeers?: readonly string[];
  /** Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Silence allowed inside an unfinished frame. Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** One frame's payload → the ACK message(s) to send back (each is framed here); none → nothing sent. */
  readonly handler: (frame: Buffer, peer: Hl7Peer) => Promise<Buffer | readonly Buffer[]>;
  /** An oversize frame (its first bytes) → the answer. Default: AR, ERR 207, echoing its MSH if readable. */
  readonly onOversize?: (head: Buffer, bytes: number, peer: Hl7Peer) => Promise<Buffer | readonly Buffer[]>;
  readonly log: Hl7Logger;
  /** Frames queued per connection before the socket is paused. Default 32. */
  readonly maxQueuedFrames?: number;
  /** Bytes one connection may hold (see above) with a frame queued or being answered. Default `maxMessageBytes`. */
  readonly maxQueuedBytesPerConnection?: number;
  /** Bytes all connections together may hold before reading pauses (see above). Default 4 × `maxMessageBytes`, at least 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Unfinished frames past 64 KiB read at once (see above). Default `maxQueuedBytes` / (2 × `maxMessageBytes`), at least 1. */
  readonly maxLargeFrames?: number;
  /** Bytes outside frames tolerated per connection. Default 64 KiB. */
  readonly maxJunkBytes?: number;
  /** Concurrent connections. Default 64. */
  readonly maxConnections?: number;
  /** Concurrent connections from one peer address. Default 16. */
  readonly maxConnectionsPerPeer?: number;
  /** Time allowed for a new connection's first frame, and for any frame from its first byte to its trailer. Default 30 s. */
  readonly frameTimeoutMs?: number;
  /** Each byte of a frame received adds 1 / this seconds to `frameTimeoutMs` (up to `maxMessageBytes`' worth). Default 8 KiB/s. */
  readonly minFrameBytesPerSecond?: number;
  /** How long close() waits for in-flight ACKs. Default 5 s. */
  readonly closeTimeoutMs?: number;
  /** Addresses whose refusals are kept one by one (refused()); the rest are counted together. Default 100. */
  readonly maxRefusedPeers?: number;
}

/**
 * Why a connection was refused as it connected (not on the allow-list, too many from its address,
 * every slot taken; nothing it sent is read), or closed for not completing a frame in time.
 */
export type MllpRefusalReason = 'not-allowed' | 'too-many' | 'full' | 'frame-timeout';

/** Connections from one address refused (or timed out) for one reason since the listener started. */
export interface MllpRefusedPeer {
  readonly address: string;
  readonly reason: MllpRefusalReason;
  readonly count: number;
  readonly first: string;
  readonly last: string;
}

export interface MllpConnectionInfo {
  readonly peer: string;
  readonly connectedAt: string;
  readonly framesReceived: number;
  readonly acksSent: number;
  readonly queued: number;
  readonly paused: boolean;
}

export interface MllpMemory {
  /** Bytes held now: unfinished frames, queued frames and frames being answered, all connections. */
  readonly heldBytes: number;
  /** The most held at any time since the listener started. */
  readonly peakHeldBytes: number;
}

export interface MllpServer {
  readonly address: string;
  readonly port: number;
  /** The listener's own accounting of the bytes it holds. */
  memory(): MllpMemory;
  /** Stops accepting, lets in-flight frames finish their ACKs (up to closeTimeoutMs), closes every connection. */
  close(): Promise<void>;
  connections(): MllpConnectionInfo[];
  /** Connections refused at connect since the listener started, per address and reason, the latest first; `others`: refusals past the kept addresses. */
  refused(): { peers: MllpRefusedPeer[]; others: number };
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = normalizeAddress(host);
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export function normalizeAddress(address: string): string {
  return normalizePeerAddress(address);
}

interface Connection {
  readonly socket: net.Socket;
  readonly peer: Hl7Peer;
  readonly label: string;
  readonly connectedAt: string;
  readonly deframer: MllpDeframer;
  readonly queue: MllpEvent[];
  /** Bytes of the frames in `queue`. */
  queuedBytes: number;
  /** Bytes of the frame the handler is answering. */
  handlingBytes: number;
  /** What this connection counts for in the listener's total (unfinished + queued + handling). */
  held: number;
  /** Holds a large-frame grant (see the file comment). */
  granted: boolean;
  framesReceived: number;
  acksSent: number;
  junk: number;
  /** Per-frame warnings of this connection (see the file comment): by kind, how many were logged, what is not yet said. */
  warnings: { abandoned: number; junkRuns: number; oversize: number; logged: number; unsaid: number; saidAt: number };
  busy: boolean;
  paused: boolean;
  ended: boolean;
  closing: boolean;
  idle: (() => void)[];
  /** Armed while a frame is awaited (from the connection's start, or a frame's first byte) and not complete. */
  frameTimer: NodeJS.Timeout | null;
  /** When the frame timer was armed (performance.now()) and the bytes received since: they buy time (see the file comment). */
  frameStartedAt: number;
  frameBytes: number;
  /** When bytes last came in or an ACK went out (performance.now()): the longest idle is evicted first. */
  activeAt: number;
  /** Closed to make room for a new connection (its close is under way). */
  evicted: boolean;
}

function asList(value: Buffer | readonly Buffer[]): readonly Buffer[] {
  return Buffer.isBuffer(value) ? [value] : value;
}

/** An unfinished frame past this size needs a large-frame grant to be read on (see the file comment). */
const LARGE_FRAME_BYTES = 64 * 1024;
/** Per-frame warnings a connection logs one by one; the rest are counted (see the file comment). */
const FRAME_WARNINGS_LOGGED = 5;
/** At most one summary of the warnings not logged per connection in this time (and one at close). */
const FRAME_WARNINGS_SUMMARY_MS = 60_000;
/** Connections refused at connect logged one by one per REFUSALS_WINDOW_MS; the rest are counted. */
const REFUSALS_LOGGED = 5;
const REFUSALS_WINDOW_MS = 60_000;

/** The bytes a queued event keeps alive. */
function eventBytes(event: MllpEvent): number {
  return event.type === 'frame' ? event.frame.length : event.type === 'oversize' ? event.head.length : 0;
}

export async function startMllpServer(options: MllpServerOptions): Promise<MllpServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 2575;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const maxQueued = Math.max(1, options.maxQueuedFrames ?? 32);
  const maxConnectionBytes = Math.max(1, options.maxQueuedBytesPerConnection ?? maxMessageBytes);
  const maxTotalBytes = Math.max(1, options.maxQueuedBytes ?? Math.max(64 * 1024 * 1024, 4 * maxMessageBytes));
  const maxLargeFrames = Math.max(1, options.maxLargeFrames ?? Math.floor(maxTotalBytes / (2 * maxMessageBytes)));
  const maxJunk = options.maxJunkBytes ?? 64 * 1024;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  const frameTimeoutMs = options.frameTimeoutMs ?? 30_000;
  // 8 KiB/s (64 kbit/s): a 16 MiB message may take ~34 min on a link that slow; a peer trickling
  // below it is cut at the frame timeout, and none holds a slot past that for more than one message's worth.
  const minFrameBytesPerSecond = Math.max(1, options.minFrameBytesPerSecond ?? 8 * 1024);
  const maxConnections = Math.max(1, options.maxConnections ?? 64);
  const { log, handler } = options;
  if (!isLoopback(host) && (options.allowedPeers === undefined || options.allowedPeers.length === 0)) {
    throw new Error(`Listening on ${host} (not loopback) requires a non-empty list of allowed peer addresses.`);
  }
  /** The allow-list and the connections open per peer address, checked at connect. */
  const slots = new PeerSlots(options.allowedPeers ?? null, options.maxConnectionsPerPeer ?? 16);
  const connections = new Set<Connection>();
  const memory = { held: 0, peak: 0, working: 0, paused: 0, grants: 0 };

  /** Recounts what the connection holds, in its own and the listener's totals. */
  function account(connection: Connection): void {
    const held = connection.deframer.pendingBytes + connection.queuedBytes + connection.handlingBytes;
    memory.held += held - connection.held;
    connection.held = held;
    if (memory.held > memory.peak) memory.peak = memory.held;
  }

  /**
   * Whether reading this connection keeps the listener within its byte bounds (see the file
   * comment): 'read', 'own' (it waits for its own frames to be answered) or 'wait' (for others').
   */
  function readVerdict(connection: Connection): 'read' | 'own' | 'wait' {
    const working = connection.queuedBytes + connection.handlingBytes;
    if (working > 0 && (connection.held >= maxConnectionBytes || connection.queue.length >= maxQueued)) return 'own';
    if (connection.deframer.pendingBytes < LARGE_FRAME_BYTES) return memory.held < maxTotalBytes ? 'read' : 'wait';
    if (!connection.granted && memory.grants < maxLargeFrames && memory.held < maxTotalBytes) {
      connection.granted = true;
      memory.grants++;
    }
    return connection.granted ? 'read' : 'wait';
  }

  /** The connection's frame ended (or it closed): its large-frame grant goes back. */
  function releaseGrant(connection: Connection): void {
    if (!connection.granted) return;
    connection.granted = false;
    memory.grants--;
  }

  function pause(connection: Connection): void {
    // Waiting on its own frames' answers, or on others' to free the listener's bytes, is not the
    // sender's slowness: the frame clock stops meanwhile and starts afresh when reading resumes.
    clearFrameTimer(connection);
    if (connection.paused) return;
    connection.paused = true;
    memory.paused++;
    connection.socket.pause();
  }

  /** After bytes were released: resumes the paused connections the bounds allow again. */
  function resumeReaders(): void {
    if (memory.paused === 0) return;
    for (const connection of connections) {
      if (!connection.paused || connection.closing || connection.socket.destroyed || readVerdict(connection) !== 'read') continue;
      connection.paused = false;
      memory.paused--;
      if (connection.deframer.inFrame || connection.framesReceived === 0) armFrameTimer(connection);
      connection.socket.resume();
    }
  }

  /** Takes the connection's bytes out of the totals (closed). */
  function forget(connection: Connection): void {
    memory.working -= connection.queuedBytes;
    connection.queue.length = 0;
    connection.queuedBytes = 0;
    if (connection.paused) {
      connection.paused = false;
      memory.paused--;
    }
    releaseGrant(connection);
    memory.held -= connection.held - connection.handlingBytes;
    connection.held = connection.handlingBytes;
  }

  const oversize =
    options.onOversize ??
    (async (head: Buffer, bytes: number) => buildAcks(peekHeader(head), { kind: 'rejected', problem: ERR.tooLarge(`The message is larger than this receiver's limit of ${maxMessageBytes} bytes (${bytes} bytes received).`) }).acks);

  function settleIdle(connection: Connection): void {
    if (connection.busy || connection.queue.length > 0) return;
    for (const resolve of connection.idle.splice(0)) resolve();
    if (connection.ended && !connection.socket.destroyed) connection.socket.end();
  }

  async function answer(connection: Connection, event: MllpEvent & { type: 'frame' | 'oversize' }): Promise<readonly Buffer[]> {
    try {
      return asList(event.type === 'frame' ? await handler(event.frame, connection.peer) : await oversize(event.head, event.bytes, connection.peer));
    } catch (error) {
      log.error({ peer: connection.label, error: error instanceof Error ? error.name : typeof error }, 'MLLP handler failed; answering AE (application internal error)');
      const header = peekHeader(event.type === 'frame' ? event.frame : event.head);
      return buildAcks(header, { kind: 'store-failed', problem: ERR.internal('Application internal error; please resend later.') }).acks;
    }
  }

  function write(socket: net.Socket, bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (socket.destroyed || !socket.writable) {
        reject(new Error('The connection closed before the ACK could be written.'));
        return;
      }
      socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** The frame being answered is done (answered, or its connection lost): its bytes are free. */
  function release(connection: Connection): void {
    const bytes = connection.handlingBytes;
    connection.handlingBytes = 0;
    memory.working -= bytes;
    memory.held -= bytes;
    connection.held -= bytes;
    if (!connections.has(connection)) return;
    account(connection);
    resumeReaders();
  }

  async function pump(connection: Connection): Promise<void> {
    if (connection.busy) return;
    connection.busy = true;
    try {
      while (connection.queue.length > 0 && !connection.socket.destroyed && !connection.closing) {
        const event = connection.queue.shift()!;
        if (event.type !== 'frame' && event.type !== 'oversize') continue;
        const bytes = eventBytes(event);
        connection.queuedBytes -= bytes;
        connection.handlingBytes = bytes;
        try {
          const acks = await answer(connection, event);
          // Several ACKs (enhanced mode: accept then application ACK) go out in one write, in order.
          if (acks.length > 0) {
            await write(connection.socket, acks.length === 1 ? mllpFrame(acks[0]!) : Buffer.concat(acks.map((ack) => mllpFrame(ack))));
            connection.acksSent += acks.length;
            connection.activeAt = performance.now();
          }
        } finally {
          release(connection);
        }
      }
    } catch (error) {
      log.warn({ peer: connection.label, error: error instanceof Error ? error.message : String(error) }, 'MLLP: could not write an ACK; closing the connection');
      connection.socket.destroy();
    } finally {
      connection.busy = false;
      settleIdle(connection);
    }
  }

  function enqueue(connection: Connection, event: MllpEvent): void {
    const bytes = eventBytes(event);
    connection.framesReceived++;
    connection.queue.push(event);
    connection.queuedBytes += bytes;
    memory.working += bytes;
  }

  function armFrameTimer(connection: Connection): void {
    if (connection.frameTimer !== null) return;
    connection.frameStartedAt = performance.now();
    connection.frameBytes = 0;
    scheduleFrameCheck(connection, frameTimeoutMs);
  }

  /** At the frame's deadline: closes the connection (counted), unless the bytes received since bought more time. */
  function scheduleFrameCheck(connection: Connection, delayMs: number): void {
    connection.frameTimer = setTimeout(() => {
      connection.frameTimer = null;
      const earnedMs = (Math.min(connection.frameBytes, maxMessageBytes) / minFrameBytesPerSecond) * 1000;
      const leftMs = connection.frameStartedAt + frameTimeoutMs + earnedMs - performance.now();
      if (leftMs >= 1) {
        scheduleFrameCheck(connection, leftMs);
        return;
      }
      refused('frameTimeout', { peer: connection.peer.address, limit: frameTimeoutMs }, 'MLLP: no complete frame within the frame timeout; closing the connection');
      connection.socket.destroy();
    }, delayMs);
    connection.frameTimer.unref();
  }

  function clearFrameTimer(connection: Connection): void {
    if (connection.frameTimer !== null) clearTimeout(connection.frameTimer);
    connection.frameTimer = null;
  }

  /**
   * A per-frame warning: logged while the connection has logged fewer than FRAME_WARNINGS_LOGGED,
   * otherwise counted and said in a summary at most once a minute (and at close).
   */
  function frameWarning(connection: Connection, kind: 'abandoned' | 'junkRuns' | 'oversize', object: object, message: string): void {
    const warnings = connection.warnings;
    warnings[kind]++;
    if (warnings.logged < FRAME_WARNINGS_LOGGED) {
      warnings.logged++;
      log.warn(object, message);
      return;
    }
    if (warnings.unsaid === 0 && warnings.saidAt === 0) warnings.saidAt = Date.now();
    warnings.unsaid++;
    if (Date.now() - warnings.saidAt >= FRAME_WARNINGS_SUMMARY_MS) summarizeWarnings(connection);
  }

  function summarizeWarnings(connection: Connection): void {
    const { abandoned, junkRuns, oversize, unsaid } = connection.warnings;
    if (unsaid === 0) return;
    log.warn({ peer: connection.label, notLogged: unsaid, abandoned, junkRuns, oversize }, 'MLLP: per-frame warnings of this connection not logged one by one (totals so far: frames abandoned without a trailer, runs of bytes outside frames, oversize frames)');
    connection.warnings.unsaid = 0;
    connection.warnings.saidAt = Date.now();
  }

  function onData(connection: Connection, chunk: Buffer): void {
    connection.activeAt = performance.now();
    connection.frameBytes += chunk.length;
    let completed = false;
    for (const event of connection.deframer.push(chunk)) {
      switch (event.type) {
        case 'junk':
          connection.junk += event.bytes;
          frameWarning(connection, 'junkRuns', { peer: connection.label, bytes: event.bytes }, 'MLLP: bytes outside a frame skipped');
          if (connection.junk > maxJunk) {
            log.warn({ peer: connection.label, bytes: connection.junk }, 'MLLP: too many bytes outside frames; closing the connection');
            connection.socket.destroy();
            return;
          }
          break;
        case 'incomplete':
          frameWarning(connection, 'abandoned', { peer: connection.label, bytes: event.bytes }, 'MLLP: a frame was abandoned by a new start byte (no trailer); not acknowledged');
          break;
        case 'oversize':
          frameWarning(connection, 'oversize', { peer: connection.label, bytes: event.bytes, limit: maxMessageBytes }, 'MLLP: oversize frame discarded; answering AR');
          enqueue(connection, event);
          completed = true;
          break;
        case 'frame':
          enqueue(connection, event);
          completed = true;
          break;
      }
    }
    // The clock runs from a frame's first byte (or the connection's start) to its trailer.
    if (completed) clearFrameTimer(connection);
    if (connection.deframer.inFrame) armFrameTimer(connection);
    account(connection);
    if (connection.granted && connection.deframer.pendingBytes < LARGE_FRAME_BYTES) {
      releaseGrant(connection);
      resumeReaders();
    }
    if (readVerdict(connection) !== 'read') pause(connection);
    void pump(connection);
  }

  /** Connections refused as they connect (see the file comment): counted per minute, the first few logged. */
  const refusals = { logged: 0, notAllowed: 0, perPeer: 0, full: 0, frameTimeout: 0, unsaid: 0, timer: null as NodeJS.Timeout | null };

  /**
   * Refusals kept for the intake monitor (tester S35 #3: a sender turned away by the allow-list
   * showed only in the log), per address and reason, bounded so a scan cannot grow it.
   */
  const refusedPeers = new Map<string, { address: string; reason: MllpRefusalReason; count: number; first: string; last: string }>();
  const maxRefusedPeers = Math.max(0, options.maxRefusedPeers ?? 100);
  let refusedOthers = 0;
  const REASONS = { notAllowed: 'not-allowed', perPeer: 'too-many', full: 'full', frameTimeout: 'frame-timeout' } as const;

  function refused(kind: keyof typeof REASONS, object: { peer: string; limit?: number }, message: string): void {
    refusals[kind]++;
    const reason = REASONS[kind];
    const key = `${reason}\u0000${object.peer}`;
    const now = new Date().toISOString();
    const kept = refusedPeers.get(key);
    if (kept !== undefined) {
      kept.count++;
      kept.last = now;
    } else if (refusedPeers.size < maxRefusedPeers) refusedPeers.set(key, { address: object.peer, reason, count: 1, first: now, last: now });
    else refusedOthers++;
    if (refusals.timer === null) {
      refusals.timer = setTimeout(summarizeRefusals, REFUSALS_WINDOW_MS);
      refusals.timer.unref();
    }
    if (refusals.logged < REFUSALS_LOGGED) {
      refusals.logged++;
      log.warn(object, message);
    } else refusals.unsaid++;
  }

  /** Ends the minute: says what was not logged one by one, and starts counting afresh. */
  function summarizeRefusals(): void {
    if (refusals.timer !== null) clearTimeout(refusals.timer);
    const { unsaid, notAllowed, perPeer, full, frameTimeout } = refusals;
    if (unsaid > 0) log.warn({ notLogged: unsaid, notAllowed, perPeer, full, frameTimeout }, 'MLLP: connections refused or timed out, not logged one by one (totals of the minute: peer not in the allowed list, too many from one address, every slot taken, no complete frame in time)');
    Object.assign(refusals, { logged: 0, notAllowed: 0, perPeer: 0, full: 0, frameTimeout: 0, unsaid: 0, timer: null });
  }

  /**
   * Whether a new connection fits: below the cap, or after closing the connection idle the longest
   * with nothing in progress (see the file comment). Evicted connections still closing do not count.
   */
  function makeRoom(): boolean {
    let live = 0;
    let oldest: Connection | null = null;
    for (const connection of connections) {
      if (connection.evicted) continue;
      live++;
      const quiet = !connection.busy && connection.queue.length === 0 && !connection.deframer.inFrame && connection.deframer.pendingBytes === 0;
      if (quiet && (oldest === null || connection.activeAt < oldest.activeAt)) oldest = connection;
    }
    if (live < maxConnections) return true;
    if (oldest === null) return false;
    oldest.evicted = true;
    log.info({ peer: oldest.label, idleMs: Math.round(performance.now() - oldest.activeAt) }, 'MLLP: every connection slot is taken; closing the connection idle the longest for a new one');
    oldest.socket.destroy();
    return true;
  }

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const label = `${address}:${socket.remotePort ?? 0}`;
    const refusal = slots.take(address);
    if (refusal !== null) {
      if (refusal === 'not-allowed') refused('notAllowed', { peer: address }, 'MLLP: connection refused: the peer is not in the allowed list');
      else refused('perPeer', { peer: address, limit: slots.maxPerPeer }, 'MLLP: connection refused: too many connections from this address');
      socket.destroy();
      return;
    }
    if (!makeRoom()) {
      slots.release(address);
      refused('full', { peer: address, limit: maxConnections }, 'MLLP: connection refused: every connection slot is taken and none is idle');
      socket.destroy();
      return;
    }
    const connection: Connection = {
      socket,
      peer: { address, ...(socket.remotePort !== undefined ? { port: socket.remotePort } : {}) },
      label,
      connectedAt: new Date().toISOString(),
      deframer: new MllpDeframer({ maxMessageBytes }),
      queue: [],
      queuedBytes: 0,
      handlingBytes: 0,
      held: 0,
      granted: false,
      framesReceived: 0,
      acksSent: 0,
      junk: 0,
      warnings: { abandoned: 0, junkRuns: 0, oversize: 0, logged: 0, unsaid: 0, saidAt: 0 },
      busy: false,
      paused: false,
      ended: false,
      closing: false,
      idle: [],
      frameTimer: null,
      frameStartedAt: 0,
      frameBytes: 0,
      activeAt: performance.now(),
      evicted: false,
    };
    connections.add(connection);
    armFrameTimer(connection);
    log.info({ peer: label }, 'MLLP: connection opened');
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => {
      // Silence while the listener is not reading this socket is the listener's doing.
      if (connection.deframer.inFrame && !connection.paused) {
        log.warn({ peer: label, bytes: connection.deframer.pendingBytes }, 'MLLP: incomplete frame (no trailer) at idle timeout; closing without an ACK');
        socket.destroy();
      }
    });
    socket.on('data', (chunk: Buffer) => onData(connection, chunk));
    socket.on('end', () => {
      for (const event of connection.deframer.end()) {
        if (event.type === 'incomplete') log.warn({ peer: label, bytes: event.bytes }, 'MLLP: connection ended inside a frame; the partial frame is discarded, not acknowledged');
      }
      account(connection);
      releaseGrant(connection);
      resumeReaders();
      connection.ended = true;
      settleIdle(connection);
    });
    socket.on('error', (error) => log.warn({ peer: label, error: error.message }, 'MLLP: socket error'));
    socket.on('close', () => {
      connections.delete(connection);
      clearFrameTimer(connection);
      slots.release(address);
      forget(connection);
      // The unfinished frame's bytes go with the deframer (nothing else refers to them).
      connection.deframer.end();
      resumeReaders();
      for (const resolve of connection.idle.splice(0)) resolve();
      summarizeWarnings(connection);
      log.info({ peer: label, frames: connection.framesReceived, acks: connection.acksSent }, 'MLLP: connection closed');
    });
  });
  // Past the cap a new connection may evict an idle one (handled above); this is the backstop.
  server.maxConnections = 2 * maxConnections;
  server.on('error', (error) => log.error({ error: error.message }, 'MLLP: listener error'));

  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  log.info({ host: bound.address, port: bound.port }, 'MLLP: listening');

  let closing: Promise<void> | null = null;
  return {
    address: bound.address,
    port: bound.port,
    memory: () => ({ heldBytes: memory.held, peakHeldBytes: memory.peak }),
    connections: () =>
      [...connections].map((c) => ({ peer: c.label, connectedAt: c.connectedAt, framesReceived: c.framesReceived, acksSent: c.acksSent, queued: c.queue.length, paused: c.paused })),
    refused: () => ({
      peers: [...refusedPeers.values()].map((peer) => ({ ...peer })).sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : a.address < b.address ? -1 : 1)),
      others: refusedOthers,
    }),
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Frames not yet started are dropped unacknowledged (the sender resends them); the one in
        // the handler finishes and its ACK is written.
        const inFlight = [...connections].map((connection) => {
          connection.socket.pause();
          forget(connection);
          return new Promise<void>((resolve) => {
            if (!connection.busy) resolve();
            else connection.idle.push(resolve);
          }).then(() => {
            connection.closing = true;
          });
        });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(inFlight), new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeoutMs)))]);
        clearTimeout(timer);
        for (const connection of connections) connection.socket.destroy();
        await stopped;
        summarizeRefusals();
        log.info({ port: bound.port }, 'MLLP: listener closed');
      })();
      return closing;
    },
  };
}
