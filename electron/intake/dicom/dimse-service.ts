import { DatasetStream } from './dataset-stream';
import type { AcceptedContext, Negotiation } from './dicom-negotiation';
import { encodePData, type AssociateRq, type Pdv } from './dicom-pdu';
import type { UlEnding, UlUser, UpperLayerAcceptor } from './dicom-upper-layer';
import { COMMAND_FIELD, DIMSE_STATUS, DimseError, MAX_COMMAND_BYTES, NO_DATA_SET, decodeCommand, encodeCommand, type DimseCommand } from './dimse-command';
import { VERIFICATION_SOP_CLASS, isStorageSopClass } from './dicom-uids';

/** One C-STORE request as the storage side sees it: the data set streams in as it arrives. */
export interface CStoreRequest {
  readonly context: AcceptedContext;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly callingAeTitle: string;
  readonly peerAddress: string;
  /** The data set's bytes (no File Meta Information), exactly as received. */
  readonly dataset: DatasetStream;
}

/** What happened on an association, for the monitor (no PHI: statuses and sizes). */
export type DimseEvent =
  | { readonly type: 'echo' }
  /** A C-STORE answered: its status, its data set's size and who sent it (the monitor counts per calling AE). */
  | { readonly type: 'store'; readonly status: number; readonly bytes: number; readonly callingAeTitle: string; readonly address: string }
  | { readonly type: 'protocol-error'; readonly message: string };

export interface DimseServiceOptions {
  readonly peerAddress: string;
  /** The A-ASSOCIATE decision (the server adds its concurrency cap to the policy's checks). */
  readonly negotiate: (rq: AssociateRq) => Negotiation;
  /** Stores one instance; resolves the DIMSE status to answer (only after the journal fsync for Success). */
  readonly cStore: (request: CStoreRequest) => Promise<number>;
  /** Longest wait for the peer's next PDU while nothing is in flight or a data set is arriving. */
  readonly idleTimeoutMs: number;
  /** Data set bytes queued unread before the socket is paused. */
  readonly datasetHighWaterBytes: number;
  readonly onEvent?: (event: DimseEvent) => void;
  readonly onEnded?: (how: UlEnding, established: boolean) => void;
  /** The association was established: its calling AE title (configuration, not PHI). */
  readonly onEstablished?: (callingAeTitle: string) => void;
}

interface InFlight {
  readonly command: DimseCommand;
  readonly context: AcceptedContext;
  /** The data set being received (C-STORE), or null when the request has none or it is dropped. */
  readonly dataset: DatasetStream | null;
  /** True once the data set's last fragment arrived (or none was expected). */
  datasetDone: boolean;
  /** The status to answer once `datasetDone`; null while the storage side still works. */
  status: number | null;
  /** Whether `status` is known (the store finished). */
  settled: boolean;
}

/**
 * The DIMSE service provider of one association (PS3.7): it assembles command and data set
 * fragments from P-DATA indications, answers C-ECHO, hands C-STORE data sets to the storage side
 * as they stream in, and sends each response once the data set is complete and the storage side
 * has answered. No asynchronous operations window is negotiated, so one request is in flight at a
 * time; a peer that sends another before the answer is aborted.
 */
export class DimseService implements UlUser {
  private ul: UpperLayerAcceptor | null = null;
  private contexts: ReadonlyMap<number, AcceptedContext> = new Map();
  private callingAeTitle = '';
  private established = false;
  private commandParts: Buffer[] = [];
  private commandBytes = 0;
  private commandContext: number | null = null;
  private inFlight: InFlight | null = null;
  private releaseRequested = false;
  /** The idle timer while it runs (null when stopped). */
  private idle: NodeJS.Timeout | null = null;
  private paused = false;
  private ended = false;

  constructor(private readonly options: DimseServiceOptions) {}

  /** Binds the Upper Layer machine this service is the user of (set right after its construction). */
  bind(ul: UpperLayerAcceptor): void {
    this.ul = ul;
  }

  onAssociateIndication(rq: AssociateRq) {
    const decision = this.options.negotiate(rq);
    if (!decision.accepted) return { reject: decision.rj };
    this.contexts = decision.contexts;
    this.callingAeTitle = rq.callingAeTitle;
    this.established = true;
    this.options.onEstablished?.(rq.callingAeTitle);
    this.refreshIdle();
    return { accept: decision.ac };
  }

  onPData(pdvs: readonly Pdv[], pduEnd: boolean, transient: boolean): void {
    for (const pdv of pdvs) {
      if (this.ended) return;
      try {
        if (pdv.command) this.onCommandFragment(pdv, transient);
        else this.onDataFragment(pdv, transient);
      } catch (error) {
        this.protocolAbort(error instanceof Error ? error.message : 'The DIMSE message is not valid.');
        return;
      }
    }
    // The peer owes a whole PDU within the idle timeout: pieces of one do not re-arm it.
    if (pduEnd) this.refreshIdle();
  }

  onReleaseIndication(): void {
    this.releaseRequested = true;
    this.maybeRelease();
  }

  onEnded(how: UlEnding): void {
    this.ended = true;
    this.stopIdle();
    const dataset = this.inFlight?.dataset;
    if (dataset !== null && dataset !== undefined && !dataset.complete) dataset.fail(new Error('The association ended before the data set was complete.'));
    this.options.onEnded?.(how, this.established);
  }

  private onCommandFragment(pdv: Pdv, transient: boolean): void {
    if (this.inFlight !== null) throw new DimseError('A new request arrived before the previous one was answered (no asynchronous operations were negotiated).');
    const context = this.contexts.get(pdv.contextId);
    if (context === undefined) throw new DimseError(`PDV for presentation context ${pdv.contextId}, which was not accepted.`);
    if (this.commandContext !== null && this.commandContext !== pdv.contextId) throw new DimseError('The fragments of one command came on different presentation contexts.');
    this.commandContext = pdv.contextId;
    this.commandBytes += pdv.data.length;
    if (this.commandBytes > MAX_COMMAND_BYTES) throw new DimseError(`A command set is longer than ${MAX_COMMAND_BYTES} bytes.`);
    this.commandParts.push(transient ? Buffer.from(pdv.data) : pdv.data);
    if (!pdv.last) return;
    const bytes = Buffer.concat(this.commandParts);
    this.commandParts = [];
    this.commandBytes = 0;
    this.commandContext = null;
    this.onCommand(decodeCommand(bytes), context);
  }

  private onCommand(command: DimseCommand, context: AcceptedContext): void {
    const hasDataset = command.commandDataSetType !== NO_DATA_SET;
    switch (command.commandField) {
      case COMMAND_FIELD.C_ECHO_RQ: {
        if (context.abstractSyntax !== VERIFICATION_SOP_CLASS) throw new DimseError('A C-ECHO came on a context other than Verification.');
        if (hasDataset) throw new DimseError('A C-ECHO-RQ announced a data set.');
        this.inFlight = { command, context, dataset: null, datasetDone: true, status: DIMSE_STATUS.SUCCESS, settled: true };
        this.options.onEvent?.({ type: 'echo' });
        this.answer();
        return;
      }
      case COMMAND_FIELD.C_STORE_RQ: {
        if (!hasDataset) throw new DimseError('A C-STORE-RQ announced no data set.');
        const sopClassUid = command.affectedSopClassUid ?? '';
        const sopInstanceUid = command.affectedSopInstanceUid ?? '';
        if (sopInstanceUid === '' || !/^[0-9.]{1,64}$/.test(sopInstanceUid)) throw new DimseError('A C-STORE-RQ has no valid Affected SOP Instance UID.');
        // The SOP class must be a storage class and the one its presentation context was accepted for.
        if (!isStorageSopClass(sopClassUid) || sopClassUid !== context.abstractSyntax) {
          this.inFlight = { command, context, dataset: null, datasetDone: false, status: DIMSE_STATUS.SOP_CLASS_NOT_SUPPORTED, settled: true };
          return;
        }
        const dataset = new DatasetStream(this.options.datasetHighWaterBytes, (stop) => {
          this.paused = stop;
          this.ul?.setReading(!stop);
          this.refreshIdle();
        });
        const flight: InFlight = { command, context, dataset, datasetDone: false, status: null, settled: false };
        this.inFlight = flight;
        const request: CStoreRequest = { context, sopClassUid, sopInstanceUid, callingAeTitle: this.callingAeTitle, peerAddress: this.options.peerAddress, dataset };
        void this.options
          .cStore(request)
          .catch(() => DIMSE_STATUS.OUT_OF_RESOURCES)
          .then((status) => {
            flight.status = status;
            flight.settled = true;
            this.options.onEvent?.({ type: 'store', status, bytes: dataset.received, callingAeTitle: this.callingAeTitle, address: this.options.peerAddress });
            this.answer();
          });
        return;
      }
      default: {
        // A request of a service that was not negotiated on this context: Unrecognized Operation.
        if ((command.commandField & 0x8000) !== 0) throw new DimseError(`An unexpected response (command field 0x${command.commandField.toString(16)}) arrived.`);
        this.inFlight = { command, context, dataset: null, datasetDone: !hasDataset, status: DIMSE_STATUS.UNRECOGNIZED_OPERATION, settled: true };
        this.answer();
      }
    }
  }

  private onDataFragment(pdv: Pdv, transient: boolean): void {
    const flight = this.inFlight;
    if (flight === null || flight.datasetDone) throw new DimseError('A data set fragment arrived with no request expecting one.');
    if (pdv.contextId !== flight.context.id) throw new DimseError('A data set fragment came on another presentation context than its command.');
    flight.dataset?.push(pdv.data, pdv.last, transient);
    if (pdv.last) {
      flight.datasetDone = true;
      this.answer();
    }
  }

  /** Sends the in-flight request's response once its data set is complete and its status known. */
  private answer(): void {
    const flight = this.inFlight;
    if (flight === null || !flight.datasetDone || !flight.settled || this.ended || this.ul === null) return;
    this.inFlight = null;
    const { command, context } = flight;
    const response: DimseCommand = {
      commandField: command.commandField | 0x8000,
      ...(command.messageId !== undefined ? { messageIdBeingRespondedTo: command.messageId } : {}),
      commandDataSetType: NO_DATA_SET,
      status: flight.status ?? DIMSE_STATUS.OUT_OF_RESOURCES,
      ...(command.affectedSopClassUid !== undefined ? { affectedSopClassUid: command.affectedSopClassUid } : {}),
      ...(command.affectedSopInstanceUid !== undefined ? { affectedSopInstanceUid: command.affectedSopInstanceUid } : {}),
    };
    if (command.commandField === COMMAND_FIELD.C_STORE_RQ && flight.dataset === null) this.options.onEvent?.({ type: 'store', status: response.status!, bytes: 0, callingAeTitle: this.callingAeTitle, address: this.options.peerAddress });
    this.ul.sendPData(encodePData(context.id, true, encodeCommand(response), this.ul.peerMaxLength));
    this.refreshIdle();
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (!this.releaseRequested || this.inFlight !== null || this.ended || this.ul === null) return;
    this.releaseRequested = false;
    this.ul.releaseResponse();
  }

  private protocolAbort(message: string): void {
    this.options.onEvent?.({ type: 'protocol-error', message });
    this.ul?.abort();
  }

  /**
   * The idle timer runs while the peer owes the next PDU: nothing in flight, or a data set still
   * arriving with reading not paused. It does not run while the storage side works (the peer
   * waits for the answer then) or while reading is paused for backpressure.
   */
  private refreshIdle(): void {
    const flight = this.inFlight;
    const waitingForPeer = !this.ended && this.established && (flight === null || (!flight.datasetDone && !this.paused));
    if (!waitingForPeer) {
      this.stopIdle();
      return;
    }
    // Re-armed on every PDU: refresh() moves the running timer instead of a clear and a new setTimeout.
    if (this.idle !== null) {
      this.idle.refresh();
      return;
    }
    this.idle = setTimeout(() => {
      this.idle = null;
      this.options.onEvent?.({ type: 'protocol-error', message: `No PDU for ${this.options.idleTimeoutMs} ms: the association is aborted.` });
      this.ul?.abort();
    }, this.options.idleTimeoutMs);
    this.idle.unref();
  }

  private stopIdle(): void {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = null;
  }
}
