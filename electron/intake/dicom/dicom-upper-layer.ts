import type net from 'node:net';
import {
  ABORT_REASON,
  ABORT_SOURCE,
  PDU_TYPE,
  PduError,
  PduStreamReader,
  encodeAbort,
  encodeAssociateAc,
  encodeAssociateRj,
  encodeReleaseRp,
  parseAssociateRq,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type Pdu,
  type PduPiece,
  type Pdv,
} from './dicom-pdu';
import { readIntoBuffer } from './socket-read-buffer';

/**
 * The DICOM Upper Layer protocol machine of an association acceptor (PS3.8 section 9.2): the
 * states, events and actions are named as in PS3.8 Tables 9-6 to 9-10. An acceptor never issues
 * A-ASSOCIATE or A-RELEASE requests, so of the thirteen states it passes through Sta1, Sta2, Sta3,
 * Sta6, Sta8 and Sta13; the transitions below are the rows of Table 9-10 for those states.
 */

export type UlState =
  /** Idle (no transport connection). */
  | 'Sta1'
  /** Transport connection open (awaiting A-ASSOCIATE-RQ PDU). */
  | 'Sta2'
  /** Awaiting local A-ASSOCIATE response primitive (from the local user). */
  | 'Sta3'
  /** Association established and ready for data transfer. */
  | 'Sta6'
  /** Awaiting local A-RELEASE response primitive (from the local user). */
  | 'Sta8'
  /** Awaiting Transport Connection Close Indication (association no longer exists). */
  | 'Sta13';

export type UlEvent =
  /** A-ASSOCIATE-AC PDU (received on transport connection). */
  | 'Evt3'
  /** A-ASSOCIATE-RJ PDU (received on transport connection). */
  | 'Evt4'
  /** A-ASSOCIATE-RQ PDU (received on transport connection). */
  | 'Evt6'
  /** A-ASSOCIATE response primitive (accept). */
  | 'Evt7'
  /** A-ASSOCIATE response primitive (reject). */
  | 'Evt8'
  /** P-DATA request primitive. */
  | 'Evt9'
  /** P-DATA-TF PDU. */
  | 'Evt10'
  /** A-RELEASE-RQ PDU (received on open transport connection). */
  | 'Evt12'
  /** A-RELEASE-RP PDU (received on transport connection). */
  | 'Evt13'
  /** A-RELEASE response primitive. */
  | 'Evt14'
  /** A-ABORT request primitive. */
  | 'Evt15'
  /** A-ABORT PDU (received on open transport connection). */
  | 'Evt16'
  /** Transport connection closed indication (local transport service). */
  | 'Evt17'
  /** ARTIM timer expired (Association reject/release timer). */
  | 'Evt18'
  /** Unrecognized or invalid PDU received. */
  | 'Evt19';

export type UlAction = 'AE-6' | 'AE-7' | 'AE-8' | 'DT-1' | 'DT-2' | 'AR-2' | 'AR-4' | 'AR-5' | 'AR-7' | 'AA-1' | 'AA-2' | 'AA-3' | 'AA-4' | 'AA-5' | 'AA-6' | 'AA-7' | 'AA-8';

/** PS3.8 Table 9-10, the acceptor's rows. A pair not listed cannot happen (an acceptor never issues it). */
export const STATE_TRANSITIONS: Readonly<Record<Exclude<UlState, 'Sta1'>, Readonly<Partial<Record<UlEvent, UlAction>>>>> = {
  Sta2: { Evt3: 'AA-1', Evt4: 'AA-1', Evt6: 'AE-6', Evt10: 'AA-1', Evt12: 'AA-1', Evt13: 'AA-1', Evt16: 'AA-2', Evt17: 'AA-5', Evt18: 'AA-2', Evt19: 'AA-1' },
  Sta3: { Evt3: 'AA-8', Evt4: 'AA-8', Evt6: 'AA-8', Evt7: 'AE-7', Evt8: 'AE-8', Evt10: 'AA-8', Evt12: 'AA-8', Evt13: 'AA-8', Evt15: 'AA-1', Evt16: 'AA-3', Evt17: 'AA-4', Evt19: 'AA-8' },
  Sta6: { Evt3: 'AA-8', Evt4: 'AA-8', Evt6: 'AA-8', Evt9: 'DT-1', Evt10: 'DT-2', Evt12: 'AR-2', Evt13: 'AA-8', Evt15: 'AA-1', Evt16: 'AA-3', Evt17: 'AA-4', Evt19: 'AA-8' },
  Sta8: { Evt3: 'AA-8', Evt4: 'AA-8', Evt6: 'AA-8', Evt9: 'AR-7', Evt10: 'AA-8', Evt12: 'AA-8', Evt13: 'AA-8', Evt14: 'AR-4', Evt15: 'AA-1', Evt16: 'AA-3', Evt17: 'AA-4', Evt19: 'AA-8' },
  Sta13: { Evt3: 'AA-6', Evt4: 'AA-6', Evt6: 'AA-7', Evt10: 'AA-6', Evt12: 'AA-6', Evt13: 'AA-6', Evt16: 'AA-2', Evt17: 'AR-5', Evt18: 'AA-2', Evt19: 'AA-7' },
};

/** What the local user (the DIMSE service provider) is told and asked. */
export interface UlUser {
  /** A-ASSOCIATE indication: answered at once with accept (Evt7) or reject (Evt8). */
  onAssociateIndication(rq: AssociateRq): { readonly accept: AssociateAc } | { readonly reject: AssociateRj };
  /**
   * P-DATA indication (DT-2), as a P-DATA-TF's bytes arrive: `pdvs` are pieces of its PDVs (the
   * last-fragment bit on a PDV's final piece only); `pduEnd` when they end the PDU. With
   * `transient`, their data are views of a read buffer that is read into again once this returns:
   * what is kept must be copied.
   */
  onPData(pdvs: readonly Pdv[], pduEnd: boolean, transient: boolean): void;
  /** A-RELEASE indication (AR-2): the user calls `releaseResponse()` once it has answered what is in flight. */
  onReleaseIndication(): void;
  /** The association ended: released, aborted by either side, rejected, or the connection dropped. */
  onEnded(how: UlEnding): void;
}

/** Evt10's payload: the pieces of a P-DATA-TF PDU's PDVs cut from one read. */
interface PDataIndication {
  readonly pdvs: readonly Pdv[];
  readonly pduEnd: boolean;
  readonly transient: boolean;
}

export type UlEnding = 'released' | 'rejected' | 'aborted-by-peer' | 'aborted-locally' | 'provider-abort' | 'connection-lost' | 'artim-expired';

export interface UpperLayerOptions {
  readonly socket: net.Socket;
  readonly user: UlUser;
  /** ARTIM timeout (PS3.8 9.1.5): for the A-ASSOCIATE-RQ to arrive, and for the peer to close after a reject, release or abort. */
  readonly artimMs: number;
  /** The largest P-DATA-TF variable field accepted (this side's announced maximum length). */
  readonly maxPDataLength: number;
  /** Told every PduError (a garbled peer), for the monitor; the message names no PHI. */
  readonly onProtocolError?: (message: string) => void;
  /**
   * A buffer the socket reads into (readIntoBuffer), which may be shared by every connection of a
   * server: each read is parsed, and what is kept copied, before the next. Absent (or where Node
   * does not allow it): the socket's 'data' chunks, which may be kept as they are.
   */
  readonly readBuffer?: Uint8Array;
}

/**
 * One transport connection's Upper Layer machine, from Evt5 (transport connection indication,
 * action AE-5: the constructor) to Sta1. Bytes are read through a bounded PduStreamReader: a
 * P-DATA-TF is indicated piece by piece as its bytes arrive (Evt10 per piece, each PDV's
 * last-fragment bit on its final piece), other PDUs whole; once a PDU cannot be understood the
 * rest of the stream is discarded unread.
 */
export class UpperLayerAcceptor {
  private stateNow: UlState = 'Sta2';
  private reader: PduStreamReader | null;
  private artim: NodeJS.Timeout | null = null;
  private ending: UlEnding | null = null;
  private pendingRq: AssociateRq | null = null;
  private readonly socket: net.Socket;
  private readonly user: UlUser;
  /** The peer's maximum P-DATA-TF length (0 = none), known after AE-7. */
  peerMaxLength = 0;

  constructor(private readonly options: UpperLayerOptions) {
    this.socket = options.socket;
    this.user = options.user;
    this.reader = new PduStreamReader({ maxPDataLength: options.maxPDataLength });
    // AE-5: issue transport connection response primitive; start ARTIM timer. Next state Sta2.
    this.startArtim();
    const buffer = options.readBuffer;
    const reused =
      buffer !== undefined &&
      readIntoBuffer(this.socket, buffer, (bytes) => {
        this.onBytes(Buffer.from(buffer.buffer, buffer.byteOffset, bytes), true);
        return true;
      });
    if (!reused) this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk, false));
    this.socket.on('close', () => this.fire('Evt17'));
    // An 'error' is always followed by 'close', which is the event the machine takes.
    this.socket.on('error', () => undefined);
  }

  get state(): UlState {
    return this.stateNow;
  }

  /** Bytes held by the reader (an unfinished PDU). */
  get heldBytes(): number {
    return this.reader?.heldBytes ?? 0;
  }

  /** P-DATA request primitive (Evt9). */
  sendPData(pdus: readonly Buffer[]): void {
    this.fire('Evt9', pdus);
  }

  /** A-RELEASE response primitive (Evt14). */
  releaseResponse(): void {
    this.fire('Evt14');
  }

  /** A-ABORT request primitive (Evt15). */
  abort(): void {
    this.fire('Evt15');
  }

  /** Stops reading (TCP backpressure on the peer) or reads again. */
  setReading(reading: boolean): void {
    if (this.socket.destroyed) return;
    if (reading) this.socket.resume();
    else this.socket.pause();
  }

  /** Closes the transport at once (the node is stopping): Evt17 follows. */
  destroy(): void {
    this.socket.destroy();
  }

  /** `transient`: `chunk` is the read buffer, read into again once this returns. */
  private onBytes(chunk: Buffer, transient: boolean): void {
    if (this.reader === null) return; // after an unrecognized PDU, or in Sta13 / Sta1: discarded
    let pieces: PduPiece[];
    try {
      pieces = this.reader.push(chunk);
    } catch (error) {
      this.reader = null;
      this.fire('Evt19', error);
      return;
    }
    for (const piece of pieces) {
      if (this.reader === null) return;
      if ('pdu' in piece) this.onPdu(piece.pdu);
      else this.fire('Evt10', { pdvs: [piece.pdv], pduEnd: piece.pduEnd, transient });
    }
  }

  private onPdu(pdu: Pdu): void {
    switch (pdu.type) {
      case PDU_TYPE.A_ASSOCIATE_RQ: {
        let rq: AssociateRq;
        try {
          rq = parseAssociateRq(pdu.body);
        } catch (error) {
          this.reader = null;
          this.fire('Evt19', error);
          return;
        }
        this.fire('Evt6', rq);
        return;
      }
      case PDU_TYPE.A_ASSOCIATE_AC:
        return this.fire('Evt3');
      case PDU_TYPE.A_ASSOCIATE_RJ:
        return this.fire('Evt4');
      case PDU_TYPE.A_RELEASE_RQ:
        return this.fire('Evt12');
      case PDU_TYPE.A_RELEASE_RP:
        return this.fire('Evt13');
      case PDU_TYPE.A_ABORT:
        return this.fire('Evt16');
    }
  }

  /** Looks the action up in the state table and runs it. */
  private fire(event: UlEvent, payload?: unknown): void {
    if (this.stateNow === 'Sta1') return;
    const action = STATE_TRANSITIONS[this.stateNow][event];
    if (action === undefined) throw new Error(`The Upper Layer has no transition for ${event} in ${this.stateNow}.`);
    this.run(action, event, payload);
  }

  private run(action: UlAction, event: UlEvent, payload: unknown): void {
    switch (action) {
      case 'AE-6': {
        // Stop ARTIM; issue A-ASSOCIATE indication (Sta3). Acceptability of the RQ is decided by the
        // local user (called AE, contexts…), which answers at once with Evt7 or Evt8.
        this.stopArtim();
        this.stateNow = 'Sta3';
        const rq = payload as AssociateRq;
        this.pendingRq = rq;
        const answer = this.user.onAssociateIndication(rq);
        if ('accept' in answer) this.fire('Evt7', answer.accept);
        else this.fire('Evt8', answer.reject);
        return;
      }
      case 'AE-7': // Send A-ASSOCIATE-AC PDU. Next state Sta6.
        this.peerMaxLength = this.pendingRq?.maxLength ?? 0;
        this.pendingRq = null;
        this.write(encodeAssociateAc(payload as AssociateAc));
        this.stateNow = 'Sta6';
        return;
      case 'AE-8': // Send A-ASSOCIATE-RJ PDU and start ARTIM. Next state Sta13.
        this.pendingRq = null;
        this.write(encodeAssociateRj(payload as AssociateRj));
        this.enterSta13('rejected');
        return;
      case 'DT-1': // Send P-DATA-TF PDU. Next state Sta6.
      case 'AR-7': // Send P-DATA-TF PDU. Next state Sta8.
        for (const pdu of payload as readonly Buffer[]) this.write(pdu);
        return;
      case 'DT-2': {
        // Send P-DATA indication. Next state Sta6.
        const { pdvs, pduEnd, transient } = payload as PDataIndication;
        this.user.onPData(pdvs, pduEnd, transient);
        return;
      }
      case 'AR-2': // Issue A-RELEASE indication primitive. Next state Sta8.
        this.stateNow = 'Sta8';
        this.user.onReleaseIndication();
        return;
      case 'AR-4': // Issue A-RELEASE-RP PDU and start ARTIM. Next state Sta13.
        this.write(encodeReleaseRp());
        this.enterSta13('released');
        return;
      case 'AR-5': // Stop ARTIM. Next state Sta1.
        this.toSta1(this.ending ?? 'connection-lost');
        return;
      case 'AA-1': // Send A-ABORT PDU (service-user source), (re)start ARTIM. Next state Sta13.
        this.write(encodeAbort(ABORT_SOURCE.SERVICE_USER, ABORT_REASON.NOT_SPECIFIED));
        this.protocolError(event, payload);
        this.enterSta13(event === 'Evt15' ? 'aborted-locally' : 'provider-abort');
        return;
      case 'AA-2': // Stop ARTIM if running; close transport. Next state Sta1.
        this.socket.destroy();
        this.toSta1(this.ending ?? (event === 'Evt18' ? 'artim-expired' : 'aborted-by-peer'));
        return;
      case 'AA-3': // Issue A-ABORT (or A-P-ABORT) indication and close transport. Next state Sta1.
        this.socket.destroy();
        this.toSta1('aborted-by-peer');
        return;
      case 'AA-4': // Issue A-P-ABORT indication primitive. Next state Sta1.
        this.toSta1('connection-lost');
        return;
      case 'AA-5': // Stop ARTIM timer. Next state Sta1.
        this.toSta1('connection-lost');
        return;
      case 'AA-6': // Ignore PDU. Next state Sta13.
        return;
      case 'AA-7': // Send A-ABORT PDU. Next state Sta13.
        this.write(encodeAbort(ABORT_SOURCE.SERVICE_PROVIDER, payload instanceof PduError ? payload.abortReason : ABORT_REASON.UNEXPECTED_PDU));
        this.reader = null;
        return;
      case 'AA-8': {
        // Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, start ARTIM. Next state Sta13.
        this.write(encodeAbort(ABORT_SOURCE.SERVICE_PROVIDER, payload instanceof PduError ? payload.abortReason : ABORT_REASON.UNEXPECTED_PDU));
        this.protocolError(event, payload);
        this.enterSta13('provider-abort');
        return;
      }
    }
  }

  private protocolError(event: UlEvent, payload: unknown): void {
    if (event === 'Evt19') this.options.onProtocolError?.(payload instanceof Error ? payload.message : 'An invalid PDU was received.');
    else if (event !== 'Evt15') this.options.onProtocolError?.(`A PDU was received that is not expected in this state (${event}).`);
  }

  /** Enters Sta13 with ARTIM running; the association no longer exists, so the user is told now. */
  private enterSta13(how: UlEnding): void {
    this.stateNow = 'Sta13';
    this.ending ??= how;
    // Whatever the peer sends now is read only to notice an A-ABORT; reading resumes if it was paused.
    this.setReading(true);
    this.startArtim();
    this.notifyEnded(how);
  }

  private toSta1(how: UlEnding): void {
    this.stopArtim();
    this.stateNow = 'Sta1';
    this.reader = null;
    this.notifyEnded(how);
  }

  private notified = false;
  private notifyEnded(how: UlEnding): void {
    if (this.notified) return;
    this.notified = true;
    this.user.onEnded(how);
  }

  private write(bytes: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  private startArtim(): void {
    this.stopArtim();
    this.artim = setTimeout(() => this.fire('Evt18'), this.options.artimMs);
    this.artim.unref();
  }

  private stopArtim(): void {
    if (this.artim !== null) clearTimeout(this.artim);
    this.artim = null;
  }
}
