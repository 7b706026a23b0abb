import {
  decodeApdu,
  decodeConfigReport,
  decodePhdAssociationInformation,
  encodeApdu,
  encodeConfigReportRsp,
  encodePhdAssociationInformation,
  hex,
  UnknownApduChoiceError,
  UnknownDataChoiceError,
  type Apdu,
  type Ava,
  type DataMessage,
  type PhdAssociationInformation,
} from './apdu';
import { checkConfiguration, configurationFromBytes, configurationToBytes, decodeObservations, scanLayoutOf, standardConfiguration, type DecodedObservation, type DeviceConfiguration } from './configuration';
import { MderError, MderReader } from './mder';
import { decodeAbsoluteTime, type AbsoluteTime } from './mder-values';
import { transition, type ManagerEvent, type ManagerState, type StateTableRow } from './manager-state-table';
import {
  AARE_RESULT,
  ABORT_REASON,
  ASSOC_VERSION1,
  ATTR,
  CONFIG_ID,
  CONFIG_RESULT,
  DATA,
  DATA_PROTO_ID_20601,
  ENCODING_MDER,
  MDS_HANDLE,
  NOM_VERSION1,
  NOTI,
  PROTOCOL_VERSION1,
  RELEASE_REASON,
  ROER_ERROR,
  RORJ_PROBLEM,
  SYS_TYPE_MANAGER,
} from './nomenclature';

/** Where the manager keeps extended configurations, per agent system id + config id (20601 §8.x: a known agent skips the configuration exchange). */
export interface ExtendedConfigurationStore {
  get(systemId: string, configId: number): Uint8Array | undefined;
  put(systemId: string, configId: number, report: Uint8Array): Promise<void>;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The manager's timeouts (20601 Table 9 / the state table's "timeout" events), in milliseconds. */
export interface ManagerTimeouts {
  /** TO_config: waiting for the agent's configuration report. */
  readonly config: number;
  /** TO_release: waiting for RLRE after the manager's RLRQ. */
  readonly release: number;
  /** TO_get: waiting for the response to the manager's GET. */
  readonly get: number;
}

export const DEFAULT_TIMEOUTS: ManagerTimeouts = { config: 10_000, release: 3_000, get: 3_000 };

export interface AgentAssociation {
  /** The agent's system id (EUI-64), hex. */
  readonly systemId: string;
  readonly devConfigId: number;
  /** How the configuration became known: a standard one, one stored from an earlier association, or this association's report. */
  readonly configuration: 'standard' | 'stored' | 'reported';
}

export interface MdsAttributes {
  readonly systemId?: string;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly serialNumber?: string;
  readonly deviceTime?: AbsoluteTime;
  readonly devConfigId?: number;
}

export interface AgentReport {
  readonly systemId: string;
  readonly devConfigId: number;
  readonly invokeId: number;
  readonly eventType: number;
  readonly confirmed: boolean;
  readonly observations: readonly DecodedObservation[];
  readonly notes: readonly string[];
  /** The whole APDU as received (what the channel seals as the raw bytes). */
  readonly raw: Uint8Array;
}

export interface ProtocolError {
  /** Why, in words (field paths and rules, never values). */
  readonly reason: string;
  /** The bytes concerned (an APDU, or what could be framed of one). */
  readonly raw: Uint8Array;
  /** What the manager answered: 'abrt', 'rorj', 'roer', 'aare-rejected', 'config-rejected' or 'none'. */
  readonly answer: string;
}

export interface ManagerHandler {
  /** Each transition taken, with its row (for the Devices area and the tests). */
  transitioned?(row: StateTableRow): void;
  associated?(association: AgentAssociation): void;
  attributes?(attributes: MdsAttributes): void;
  /**
   * An event report's observations. A confirmed report is answered (RORS) only after this
   * resolves: the channel resolves it after the journal fsync. A rejection aborts the association.
   */
  report(report: AgentReport): Promise<void>;
  /** Input that was not accepted; the channel quarantines it. Resolves once it is durable. */
  protocolError(error: ProtocolError): Promise<void>;
}

export interface ManagerOptions {
  /** The manager's own system id (8 octets, EUI-64). */
  readonly systemId: Uint8Array;
  readonly send: (apdu: Uint8Array) => void;
  readonly configurations: ExtendedConfigurationStore;
  readonly handler: ManagerHandler;
  readonly timers?: Timers;
  readonly timeouts?: Partial<ManagerTimeouts>;
  /** APDUs waiting for the handler beyond this abort the association (buffer-overflow); memory stays bounded. */
  readonly maxQueued?: number;
}

interface Pending {
  /** What the action of the row about to run needs: the classified APDU and its context. */
  apdu?: Apdu;
  raw?: Uint8Array;
  aareResult?: number;
  abortReason?: number;
  configResult?: number;
  configReportId?: number;
  configuration?: DeviceConfiguration;
  roerInvokeId?: number;
}

const realTimers: Timers = { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };

/**
 * One IEEE 11073-20601 manager for one agent connection (a serial port, a TCP connection). It
 * takes whole APDUs (the framer cuts the byte stream), classifies each into a state-table event,
 * looks the row up in MANAGER_STATE_TABLE and runs the row's action. APDUs are handled one at a
 * time in arrival order; a confirmed report's RORS is sent only once the handler made it durable.
 */
export class Manager20601 {
  private current: ManagerState = 'disconnected';
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly timers: Timers;
  private readonly timeouts: ManagerTimeouts;
  private readonly maxQueued: number;
  private timer: unknown = undefined;
  private timerReason = 0;
  private agent: PhdAssociationInformation | undefined;
  private systemId = '';
  private configuration: DeviceConfiguration | undefined;
  private configurationSource: AgentAssociation['configuration'] = 'standard';
  private nextInvokeId = 0;
  private pendingGet: number | undefined;

  constructor(private readonly options: ManagerOptions) {
    if (options.systemId.length !== 8) throw new RangeError('The manager system id is 8 octets (EUI-64).');
    this.timers = options.timers ?? realTimers;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.maxQueued = options.maxQueued ?? 64;
  }

  get state(): ManagerState {
    return this.current;
  }

  /** The associated agent's system id (hex), or undefined. */
  get agentSystemId(): string | undefined {
    return this.agent === undefined ? undefined : this.systemId;
  }

  /** Row 1.1: the transport connected. */
  connected(): void {
    this.fire('transport-connect', {});
  }

  /** x.2: the transport is gone (a port unplugged, a socket closed): the association's state is dropped. */
  disconnected(): void {
    this.fire('transport-disconnect', {});
  }

  /** Handles one whole APDU; resolves when it (and everything before it) was handled. */
  receive(raw: Uint8Array): Promise<void> {
    if (this.queued >= this.maxQueued) {
      this.queued = 0;
      this.fire('req-assoc-abort', { abortReason: ABORT_REASON.bufferOverflow });
      return this.queue;
    }
    this.queued++;
    const run = this.queue.then(() => this.handle(raw)).finally(() => {
      this.queued = Math.max(0, this.queued - 1);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** x.6: the operator (or the channel closing) asks for a release. */
  release(): Promise<void> {
    return this.enqueue(() => this.fire('req-assoc-rel', {}));
  }

  /** x.7: abort now. */
  abort(reason: number = ABORT_REASON.undefined): Promise<void> {
    return this.enqueue(() => this.fire('req-assoc-abort', { abortReason: reason }));
  }

  /** Stops the timers (the channel is closing). */
  dispose(): void {
    this.stopTimer();
  }

  private enqueue(work: () => void | Promise<void>): Promise<void> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async handle(raw: Uint8Array): Promise<void> {
    let apdu: Apdu;
    try {
      apdu = decodeApdu(raw);
    } catch (error) {
      if (!(error instanceof MderError)) throw error;
      await this.undecodable(raw, error);
      return;
    }
    const event = this.classify(apdu);
    if (event === undefined) return;
    await this.fireAsync(event, { apdu, raw });
  }

  private associated(): boolean {
    return this.current === 'waiting-for-config' || this.current === 'checking-config' || this.current === 'operating' || this.current === 'disassociating';
  }

  /** An APDU that does not decode: RORJ when only the operation is unknown, else ABRT when associated; always quarantined. */
  private async undecodable(raw: Uint8Array, error: MderError): Promise<void> {
    // Quarantined first: the answer follows the durable record (design §4 rules 1 and 3).
    if (error instanceof UnknownDataChoiceError && this.associated() && this.current !== 'disassociating') {
      await this.quarantine({ reason: error.message, raw, answer: 'rorj' });
      this.sendApdu({ type: 'prst', data: { invokeId: error.invokeId, message: { choice: DATA.RORJ, problem: RORJ_PROBLEM.unrecognizedOperation } } });
      return;
    }
    const associated = this.associated();
    // Row 2.19: a PRST (even a broken one) while unassociated is aborted.
    const prstWhileUnassociated = !(error instanceof UnknownApduChoiceError) && this.current === 'unassociated' && raw.length >= 2 && raw[0] === 0xe7;
    await this.quarantine({ reason: error.message, raw, answer: associated || prstWhileUnassociated ? 'abrt' : 'none' });
    if (associated) await this.fireAsync('req-assoc-abort', { abortReason: ABORT_REASON.undefined });
    else if (prstWhileUnassociated) this.sendApdu({ type: 'abrt', reason: ABORT_REASON.undefined });
  }

  /** Hands input that was not accepted to the channel; a failure to keep it does not stop the answer. */
  private async quarantine(error: ProtocolError): Promise<void> {
    try {
      await this.options.handler.protocolError(error);
    } catch {
      // The channel logs its own storage failures; the protocol answer still goes out.
    }
  }

  private classify(apdu: Apdu): ManagerEvent | undefined {
    switch (apdu.type) {
      case 'aarq':
        return this.classifyAarq(apdu);
      case 'aare':
        return 'rx-aare';
      case 'rlrq':
        return 'rx-rlrq';
      case 'rlre':
        return 'rx-rlre';
      case 'abrt':
        return 'rx-abrt';
      case 'prst': {
        if (this.current === 'unassociated') return 'rx-prst';
        const choice = apdu.data.message.choice;
        switch (choice) {
          case DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT:
            return 'rx-roiv-confirmed-event-report';
          case DATA.ROIV_CMIP_EVENT_REPORT:
            return 'rx-roiv-event-report';
          case DATA.ROIV_CMIP_GET:
          case DATA.ROIV_CMIP_SET:
          case DATA.ROIV_CMIP_CONFIRMED_SET:
          case DATA.ROIV_CMIP_ACTION:
          case DATA.ROIV_CMIP_CONFIRMED_ACTION:
            return 'rx-roiv-other';
          case DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT:
          case DATA.RORS_CMIP_GET:
          case DATA.RORS_CMIP_CONFIRMED_SET:
          case DATA.RORS_CMIP_CONFIRMED_ACTION:
            return 'rx-rors';
          case DATA.ROER:
            return 'rx-roer';
          case DATA.RORJ:
            return 'rx-rorj';
        }
      }
    }
  }

  private aarqCheck: Pending = {};

  /** Whether an AARQ is acceptable (20601 §8.3: assoc-version, data-proto 20601, protocol version, MDER, nomenclature) and its configuration known. */
  private classifyAarq(apdu: Extract<Apdu, { type: 'aarq' }>): ManagerEvent {
    const reject = (result: number): ManagerEvent => {
      this.aarqCheck = { aareResult: result };
      return 'rx-aarq-unacceptable';
    };
    if ((apdu.assocVersion & ASSOC_VERSION1) === 0) return reject(AARE_RESULT.rejectedUnsupportedAssocVersion);
    const proto = apdu.dataProtos.find((p) => p.id === DATA_PROTO_ID_20601);
    if (proto === undefined) return reject(AARE_RESULT.rejectedNoCommonProtocol);
    let info: PhdAssociationInformation;
    try {
      info = decodePhdAssociationInformation(proto.info);
    } catch (error) {
      if (!(error instanceof MderError)) throw error;
      return reject(AARE_RESULT.rejectedPermanent);
    }
    if ((info.protocolVersion & PROTOCOL_VERSION1) === 0) return reject(AARE_RESULT.rejectedNoCommonParameter);
    if ((info.encodingRules & ENCODING_MDER) === 0) return reject(AARE_RESULT.rejectedNoCommonParameter);
    if ((info.nomenclatureVersion & NOM_VERSION1) === 0) return reject(AARE_RESULT.rejectedNoCommonParameter);
    if (info.systemId.length !== 8) return reject(AARE_RESULT.rejectedPermanent);
    const systemId = hex(info.systemId);
    const standard = standardConfiguration(info.devConfigId);
    let known: DeviceConfiguration | undefined = standard;
    let source: AgentAssociation['configuration'] = 'standard';
    if (known === undefined && info.devConfigId >= CONFIG_ID.extendedMin && info.devConfigId <= CONFIG_ID.extendedMax) {
      const stored = this.options.configurations.get(systemId, info.devConfigId);
      if (stored !== undefined) {
        try {
          known = configurationFromBytes(stored);
          source = 'stored';
        } catch {
          known = undefined;
        }
      }
    }
    this.aarqCheck = { configuration: known };
    this.agent = info;
    this.systemId = systemId;
    this.configurationSource = source;
    return known === undefined ? 'rx-aarq-acceptable-unknown-config' : 'rx-aarq-acceptable-known-config';
  }

  private fire(event: ManagerEvent, pending: Pending): void {
    void this.fireAsync(event, pending);
  }

  private async fireAsync(event: ManagerEvent, pending: Pending): Promise<void> {
    const row = transition(this.current, event);
    if (row === undefined) return;
    this.current = row.next;
    if (row.next === 'unassociated' || row.next === 'disconnected') this.forget();
    this.options.handler.transitioned?.(row);
    await this.act(row, pending);
  }

  private forget(): void {
    this.stopTimer();
    this.pendingGet = undefined;
    this.configuration = undefined;
    this.agent = undefined;
  }

  private async act(row: StateTableRow, pending: Pending): Promise<void> {
    const apdu = pending.apdu;
    switch (row.action) {
      case 'none':
      case 'drop':
        return;
      case 'tx-aare-accepted': {
        this.sendAare(AARE_RESULT.accepted);
        this.configuration = this.aarqCheck.configuration;
        this.announce();
        this.getMdsAttributes();
        return;
      }
      case 'tx-aare-accepted-unknown-config':
        this.sendAare(AARE_RESULT.acceptedUnknownConfig);
        this.startTimer(this.timeouts.config, ABORT_REASON.configurationTimeout);
        return;
      case 'tx-aare-rejected':
        await this.quarantine({ reason: `association rejected (result ${this.aarqCheck.aareResult ?? AARE_RESULT.rejectedPermanent})`, raw: pending.raw ?? new Uint8Array(), answer: 'aare-rejected' });
        this.sendAare(this.aarqCheck.aareResult ?? AARE_RESULT.rejectedPermanent);
        return;
      case 'tx-abrt':
        if (pending.raw !== undefined) await this.quarantine({ reason: `unexpected in this state (row ${row.row})`, raw: pending.raw, answer: 'abrt' });
        this.sendApdu({ type: 'abrt', reason: pending.abortReason ?? ABORT_REASON.undefined });
        return;
      case 'tx-rlre':
        this.sendApdu({ type: 'rlre', reason: RELEASE_REASON.normal });
        return;
      case 'tx-rlrq':
        this.sendApdu({ type: 'rlrq', reason: RELEASE_REASON.normal });
        this.startTimer(this.timeouts.release, ABORT_REASON.responseTimeout);
        return;
      case 'check-config':
        await this.checkConfig(apdu, pending.raw);
        return;
      case 'tx-config-rsp': {
        if (pending.roerInvokeId !== undefined) {
          this.sendApdu({ type: 'prst', data: { invokeId: pending.roerInvokeId, message: { choice: DATA.ROER, errorValue: ROER_ERROR.notAllowedByObject, parameter: new Uint8Array() } } });
          this.startTimer(this.timeouts.config, ABORT_REASON.configurationTimeout);
          return;
        }
        const message = apdu?.type === 'prst' ? apdu.data : undefined;
        this.sendApdu({
          type: 'prst',
          data: {
            invokeId: message?.invokeId ?? 0,
            message: { choice: DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT, objHandle: MDS_HANDLE, currentTime: 0xffffffff, eventType: NOTI.CONFIG, eventReplyInfo: encodeConfigReportRsp(pending.configReportId ?? 0, pending.configResult ?? CONFIG_RESULT.unsupportedConfig) },
          },
        });
        if (row.next === 'operating') {
          this.stopTimer();
          this.configuration = pending.configuration;
          this.announce();
          this.getMdsAttributes();
        } else {
          this.startTimer(this.timeouts.config, ABORT_REASON.configurationTimeout);
        }
        return;
      }
      case 'event-report':
        await this.eventReport(apdu, pending.raw ?? new Uint8Array());
        return;
      case 'tx-roer': {
        if (apdu?.type !== 'prst') return;
        const choice = apdu.data.message.choice;
        const confirmed = choice === DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT || choice === DATA.ROIV_CMIP_GET || choice === DATA.ROIV_CMIP_CONFIRMED_SET || choice === DATA.ROIV_CMIP_CONFIRMED_ACTION;
        if (confirmed) this.sendApdu({ type: 'prst', data: { invokeId: apdu.data.invokeId, message: { choice: DATA.ROER, errorValue: ROER_ERROR.notAllowedByObject, parameter: new Uint8Array() } } });
        return;
      }
      case 'rx-response':
        if (apdu?.type === 'prst') this.response(apdu.data.invokeId, apdu.data.message);
        return;
    }
  }

  private announce(): void {
    const configuration = this.configuration;
    if (configuration === undefined || this.agent === undefined) return;
    this.options.handler.associated?.({ systemId: this.systemId, devConfigId: configuration.configId, configuration: this.configurationSource });
  }

  private sendAare(result: number): void {
    const info = encodePhdAssociationInformation({
      protocolVersion: PROTOCOL_VERSION1,
      encodingRules: ENCODING_MDER,
      nomenclatureVersion: NOM_VERSION1,
      functionalUnits: 0,
      systemType: SYS_TYPE_MANAGER,
      systemId: this.options.systemId,
      devConfigId: CONFIG_ID.manager,
      dataReqModeFlags: 0,
      dataReqInitAgentCount: 0,
      dataReqInitManagerCount: 0,
      optionList: [],
    });
    this.sendApdu({ type: 'aare', result, selectedDataProto: { id: DATA_PROTO_ID_20601, info } });
  }

  private async checkConfig(apdu: Apdu | undefined, raw: Uint8Array | undefined): Promise<void> {
    if (apdu?.type !== 'prst') return;
    const { invokeId, message } = apdu.data;
    if (message.choice !== DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT || message.eventType !== NOTI.CONFIG) {
      // A confirmed report other than the configuration while the manager has none: not allowed now.
      await this.fireAsync('req-agent-supplied-unknown-configuration', { apdu, roerInvokeId: invokeId });
      return;
    }
    let result: number;
    let configReportId = 0;
    let configuration: DeviceConfiguration | undefined;
    let reason = '';
    try {
      const { value } = decodeConfigReport(message.eventInfo);
      configReportId = value.configReportId;
      const check = checkConfiguration(value);
      if (check.ok) {
        configuration = check.configuration;
        result = CONFIG_RESULT.acceptedConfig;
      } else {
        result = check.result;
        reason = check.reason;
      }
    } catch (error) {
      if (!(error instanceof MderError)) throw error;
      result = CONFIG_RESULT.unsupportedConfig;
      reason = error.message;
    }
    if (configuration !== undefined) {
      if (configReportId >= CONFIG_ID.extendedMin && configReportId <= CONFIG_ID.extendedMax) {
        await this.options.configurations.put(this.systemId, configReportId, configurationToBytes(configuration));
      }
      this.configurationSource = 'reported';
      await this.fireAsync('req-agent-supplied-known-configuration', { apdu, configResult: result, configReportId, configuration });
    } else {
      await this.quarantine({ reason: `configuration 0x${configReportId.toString(16)} not accepted (config-result ${result}): ${reason}`, raw: raw ?? new Uint8Array(), answer: 'config-rejected' });
      await this.fireAsync('req-agent-supplied-unknown-configuration', { apdu, configResult: result, configReportId });
    }
  }

  private async eventReport(apdu: Apdu | undefined, raw: Uint8Array): Promise<void> {
    if (apdu?.type !== 'prst') return;
    const { invokeId, message } = apdu.data;
    if (message.choice !== DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT && message.choice !== DATA.ROIV_CMIP_EVENT_REPORT) return;
    const confirmed = message.choice === DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT;
    const layout = scanLayoutOf(message.eventType);
    const configuration = this.configuration;
    if (layout === undefined || configuration === undefined) {
      await this.quarantine({ reason: `event type 0x${message.eventType.toString(16)} is not served in operating`, raw, answer: confirmed ? 'roer' : 'none' });
      if (confirmed) this.sendApdu({ type: 'prst', data: { invokeId, message: { choice: DATA.ROER, errorValue: ROER_ERROR.notAllowedByObject, parameter: new Uint8Array() } } });
      return;
    }
    let decoded: ReturnType<typeof decodeObservations>;
    try {
      decoded = decodeObservations(configuration, layout, message.eventInfo);
    } catch (error) {
      if (!(error instanceof MderError)) throw error;
      await this.quarantine({ reason: error.message, raw, answer: confirmed ? 'rorj' : 'none' });
      if (confirmed) this.sendApdu({ type: 'prst', data: { invokeId, message: { choice: DATA.RORJ, problem: RORJ_PROBLEM.badlyStructuredApdu } } });
      return;
    }
    try {
      await this.options.handler.report({ systemId: this.systemId, devConfigId: configuration.configId, invokeId, eventType: message.eventType, confirmed, observations: decoded.observations, notes: decoded.notes, raw });
    } catch {
      // Not durable: never acknowledged. The agent will resend after a new association.
      if (this.current === 'operating') await this.fireAsync('req-assoc-abort', { abortReason: ABORT_REASON.undefined });
      return;
    }
    if (confirmed && this.current === 'operating') {
      this.sendApdu({ type: 'prst', data: { invokeId, message: { choice: DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT, objHandle: message.objHandle, currentTime: 0xffffffff, eventType: message.eventType, eventReplyInfo: new Uint8Array() } } });
    }
  }

  private getMdsAttributes(): void {
    const invokeId = this.nextInvokeId;
    this.nextInvokeId = (this.nextInvokeId + 1) & 0xffff;
    this.pendingGet = invokeId;
    // An empty attribute-id-list asks for all of the MDS's attributes.
    this.sendApdu({ type: 'prst', data: { invokeId, message: { choice: DATA.ROIV_CMIP_GET, objHandle: MDS_HANDLE, attributeIds: [] } } });
    this.startTimer(this.timeouts.get, ABORT_REASON.responseTimeout);
  }

  private response(invokeId: number, message: DataMessage): void {
    if (this.pendingGet === undefined || invokeId !== this.pendingGet) return;
    this.pendingGet = undefined;
    this.stopTimer();
    if (message.choice !== DATA.RORS_CMIP_GET) return;
    this.options.handler.attributes?.(mdsAttributes(message.attributes));
  }

  private startTimer(ms: number, reason: number): void {
    this.stopTimer();
    this.timerReason = reason;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.fireAsync('timeout', { abortReason: this.timerReason }));
    }, ms);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private sendApdu(apdu: Apdu): void {
    this.options.send(encodeApdu(apdu));
  }
}

const latin1 = new TextDecoder('latin1');

/** Readable text of a device string (printable ASCII only; anything else is dropped). */
function text(bytes: Uint8Array): string {
  return latin1
    .decode(bytes)
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, 64);
}

/** The MDS attributes 20601 names: System-Model, System-Id, Production-Specification (serial number), Date-and-Time, Dev-Configuration-Id. */
export function mdsAttributes(attributes: readonly Ava[]): MdsAttributes {
  const out: { -readonly [K in keyof MdsAttributes]: MdsAttributes[K] } = {};
  for (const a of attributes) {
    try {
      const r = new MderReader(a.value, 0, a.value.length, `mds.0x${a.id.toString(16)}.`);
      switch (a.id) {
        case ATTR.ID_MODEL:
          out.manufacturer = text(r.octetString('manufacturer'));
          out.model = text(r.octetString('model-number'));
          break;
        case ATTR.SYS_ID:
          out.systemId = hex(r.octetString('system-id'));
          break;
        case ATTR.ID_PROD_SPECN: {
          const entries = r.sequenceOf('prod-spec', (s, i) => ({ specType: s.u16(`[${i}].spec-type`), componentId: s.u16(`[${i}].component-id`), value: s.octetString(`[${i}].prod-spec`) }));
          // spec-type 1: serial-number.
          const serial = entries.find((e) => e.specType === 1);
          if (serial !== undefined) out.serialNumber = text(serial.value);
          break;
        }
        case ATTR.TIME_ABS:
          out.deviceTime = decodeAbsoluteTime(a.value);
          break;
        case ATTR.DEV_CONFIG_ID:
          out.devConfigId = r.u16('dev-config-id');
          break;
      }
    } catch (error) {
      if (!(error instanceof MderError)) throw error;
      // An MDS attribute that does not parse is left out; the association stays.
    }
  }
  return out;
}

