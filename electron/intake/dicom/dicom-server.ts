import net from 'node:net';
import type { DicomRejectionReason } from '../../../shared/ipc/dicom-contract';
import { negotiateAssociation, normalizeIp, type AllowedCaller, type Negotiation } from './dicom-negotiation';
import { PeerSlots } from '../peer-slots';
import { REJECT_REASON, REJECT_RESULT, REJECT_SOURCE } from './dicom-pdu';
import { UpperLayerAcceptor, type UlEnding } from './dicom-upper-layer';
import { DimseService, type CStoreRequest, type DimseEvent } from './dimse-service';

export interface DicomLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface DicomServerOptions {
  /** Default 11112; 0 = any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The node's AE title (called AE title of every association). */
  readonly aeTitle: string;
  /** Required (non-empty) when `host` is not loopback: calling AE titles with their addresses. */
  readonly allowedCallers?: readonly AllowedCaller[];
  /** Maximum P-DATA-TF variable field this side receives. Default 256 KiB. */
  readonly maxPduLength?: number;
  /** Associations at once; more are rejected (transient, local limit exceeded). Default 8. */
  readonly maxAssociations?: number;
  /**
   * Transport connections from one address at once; more are closed as they connect. Default
   * `maxAssociations` + 4: one host may use every association and still be answered
   * A-ASSOCIATE-RJ (too many) past them, while 4 connection slots always stay free for other hosts.
   */
  readonly maxConnectionsPerAddress?: number;
  /** ARTIM (PS3.8 9.1.5). Default 30 s. */
  readonly artimMs?: number;
  /** Silence allowed while the peer owes the next PDU. Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Data set bytes queued per association before its socket is paused. Default 2 MiB. */
  readonly datasetHighWaterBytes?: number;
  /** How long close() waits for associations to finish what is in flight. Default 5 s. */
  readonly closeTimeoutMs?: number;
  readonly cStore: (request: CStoreRequest) => Promise<number>;
  readonly log: DicomLogger;
  /** Told what happens, for the monitor. */
  readonly onEvent?: (event: DicomServerEvent) => void;
}

export type DicomServerEvent =
  | DimseEvent
  | { readonly type: 'association'; readonly callingAeTitle: string; readonly address: string }
  | {
      readonly type: 'rejected';
      readonly why: string;
      readonly reason: DicomRejectionReason;
      /** '' for a connection closed as it connected (too many connections, or an address on no allow-list entry). */
      readonly callingAeTitle: string;
      readonly calledAeTitle: string;
      readonly address: string;
    }
  | { readonly type: 'ended'; readonly how: UlEnding };

export interface DicomAssociationInfo {
  readonly peer: string;
  readonly callingAeTitle: string;
  readonly since: string;
  readonly state: string;
}

export interface DicomServer {
  readonly address: string;
  readonly port: number;
  associations(): DicomAssociationInfo[];
  /** Stops accepting; gives open associations up to closeTimeoutMs to finish, then closes them. */
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  const h = normalizeIp(host);
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** Transport connections beyond the association cap that may wait for their rejection at once. */
const EXTRA_CONNECTIONS = 8;
/**
 * The one buffer every connection's socket reads into (readIntoBuffer): each read is parsed, and
 * its data set bytes copied into the C-STORE's head, before the next read on any socket. Large
 * enough that a 128 KiB P-DATA-TF (storescu's) mostly comes in one read.
 */
const READ_BUFFER_BYTES = 256 * 1024;

interface Entry {
  readonly ul: UpperLayerAcceptor;
  readonly peer: string;
  readonly since: string;
  readonly socket: net.Socket;
  callingAeTitle: string;
  established: boolean;
  /** A whole A-ASSOCIATE-RQ has arrived (whatever the answer). */
  requested: boolean;
  /** Closed to make room for a newer connection; no longer counted while its socket closes. */
  evicted: boolean;
}

/**
 * The DICOM receiver's listener (node:net): one Upper Layer machine and DIMSE service per
 * transport connection.
 *
 * - **Associations** beyond `maxAssociations` are rejected with A-ASSOCIATE-RJ (rejected-transient,
 *   service-provider presentation, local-limit-exceeded), so a modality retries later. Transport
 *   connections beyond that cap plus a few are closed at once (a flood keeps no memory).
 * - **At the connection cap** a new connection takes the slot of the oldest connection that has
 *   not yet sent a whole A-ASSOCIATE-RQ (never an association, nor a peer being answered), as the
 *   MLLP listener evicts its idle connections: silent connections from a few hosts cannot keep a
 *   modality out until ARTIM expires. With none such, the new connection is closed at once.
 * - **Slots per host**, decided as a peer connects (PeerSlots, as the MLLP listener does): with an
 *   allow-list, an address on none of its entries is closed before it sends a byte; one address
 *   holds at most `maxConnectionsPerAddress` connections (default `maxAssociations` + 4 of the
 *   `maxAssociations` + 8 slots), so a flood or a slow loris from one host leaves slots to the
 *   others and cannot keep an allowed modality out.
 * - **Slow or silent peers**: the A-ASSOCIATE-RQ must arrive within ARTIM of the connection, however
 *   slowly its bytes trickle; an established association is aborted after `idleTimeoutMs` without a
 *   complete PDU while the peer owes one; after a reject, release or abort the peer has ARTIM to close.
 * - **Memory per association** is bounded: a P-DATA-TF is not held (its bytes go on as they are
 *   read, from one read buffer shared by every connection), another PDU at most its limit, plus
 *   `datasetHighWaterBytes` of a data set waiting for the sealer (reading pauses beyond that: TCP
 *   backpressure; one read may pass it) plus what the storage side keeps to read the index fields.
 * - A LAN bind needs an allow-list: calling AE titles with the address each must connect from.
 */
export async function startDicomServer(options: DicomServerOptions): Promise<DicomServer> {
  const host = options.host ?? '127.0.0.1';
  const allowedCallers = options.allowedCallers ?? [];
  if (!isLoopbackHost(host) && allowedCallers.length === 0) throw new Error(`Listening on ${host} needs an allow-list of calling AE titles with their addresses.`);
  const maxAssociations = options.maxAssociations ?? 8;
  const maxPduLength = options.maxPduLength ?? 256 * 1024;
  /** The allow-list's addresses (any address when there is none) and the connections open per address. */
  const slots = new PeerSlots(allowedCallers.length === 0 ? null : allowedCallers.map((caller) => caller.address), options.maxConnectionsPerAddress ?? maxAssociations + EXTRA_CONNECTIONS / 2);
  const entries = new Set<Entry>();
  const { log } = options;
  const established = (): number => [...entries].filter((entry) => entry.established).length;
  const maxConnections = maxAssociations + EXTRA_CONNECTIONS;
  const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

  /** Whether a new connection fits: below the cap, or after closing the oldest connection that has not sent its A-ASSOCIATE-RQ. */
  const makeRoom = (): boolean => {
    let live = 0;
    let oldest: Entry | null = null;
    for (const entry of entries) {
      if (entry.evicted) continue;
      live += 1;
      // Entries are in the order they connected: the first unrequested one is the oldest.
      if (oldest === null && !entry.requested) oldest = entry;
    }
    if (live < maxConnections) return true;
    if (oldest === null) return false;
    oldest.evicted = true;
    log.info({ peer: oldest.peer, since: oldest.since }, 'DICOM: every connection slot is taken; closing the oldest connection that sent no A-ASSOCIATE-RQ for a new one');
    oldest.socket.destroy();
    return true;
  };

  const server = net.createServer((socket) => {
    const peer = normalizeIp(socket.remoteAddress ?? '');
    let refusal = slots.take(peer);
    const full = refusal === null && !makeRoom();
    if (full) {
      slots.release(peer);
      refusal = 'too-many';
    }
    if (refusal !== null) {
      socket.destroy();
      const why = full ? 'too many connections' : refusal === 'not-allowed' ? 'the address is on no allow-list entry' : 'too many connections from this address';
      options.onEvent?.({ type: 'rejected', why, reason: refusal, callingAeTitle: '', calledAeTitle: '', address: peer });
      return;
    }
    socket.setNoDelay(true);
    const service = new DimseService({
      peerAddress: peer,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      datasetHighWaterBytes: options.datasetHighWaterBytes ?? 2 * 1024 * 1024,
      negotiate: (rq) => {
        entry.requested = true;
        const decision: Negotiation =
          established() >= maxAssociations
            ? { accepted: false, rj: { result: REJECT_RESULT.TRANSIENT, source: REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION, reason: REJECT_REASON.LOCAL_LIMIT_EXCEEDED }, why: `${maxAssociations} associations are open already`, reason: 'too-many' }
            : negotiateAssociation(rq, peer, { aeTitle: options.aeTitle, allowedCallers, maxPduLength });
        if (!decision.accepted) {
          log.warn({ peer, why: decision.why }, 'DICOM association rejected');
          options.onEvent?.({ type: 'rejected', why: decision.why, reason: decision.reason, callingAeTitle: rq.callingAeTitle, calledAeTitle: rq.calledAeTitle, address: peer });
        }
        return decision;
      },
      cStore: options.cStore,
      onEvent: (event) => {
        if (event.type === 'protocol-error') log.warn({ peer, problem: event.message }, 'DICOM association aborted');
        options.onEvent?.(event);
      },
      onEstablished: (callingAeTitle) => {
        entry.established = true;
        entry.callingAeTitle = callingAeTitle;
        options.onEvent?.({ type: 'association', callingAeTitle, address: peer });
      },
      onEnded: (how) => {
        entry.established = false;
        options.onEvent?.({ type: 'ended', how });
      },
    });
    const ul = new UpperLayerAcceptor({
      socket,
      user: service,
      artimMs: options.artimMs ?? 30_000,
      maxPDataLength: maxPduLength,
      readBuffer,
      onProtocolError: (message) => {
        log.warn({ peer, problem: message }, 'DICOM protocol error');
        options.onEvent?.({ type: 'protocol-error', message });
      },
    });
    service.bind(ul);
    const entry: Entry = { ul, socket, peer, since: new Date().toISOString(), callingAeTitle: '', established: false, requested: false, evicted: false };
    entries.add(entry);
    socket.on('close', () => {
      entries.delete(entry);
      slots.release(peer);
    });
  });
  // The kernel-level bound sits above the cap, so a connection past it reaches makeRoom (evicted ones may still be closing).
  server.maxConnections = 2 * maxConnections;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 11112, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log.warn({ code: (error as NodeJS.ErrnoException).code }, 'DICOM listener error'));
  const address = server.address() as net.AddressInfo;
  log.info({ host, port: address.port, aeTitle: options.aeTitle }, 'DICOM receiver listening');

  return {
    address: address.address,
    port: address.port,
    associations: () => [...entries].map((entry) => ({ peer: entry.peer, callingAeTitle: entry.callingAeTitle, since: entry.since, state: entry.ul.state })),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + (options.closeTimeoutMs ?? 5_000);
      while (entries.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      for (const entry of entries) entry.ul.destroy();
      await closed;
    },
  };
}
