import { MderError, MderReader, MderWriter } from './mder';
import { APDU, DATA } from './nomenclature';

/**
 * The APDUs of IEEE 11073-20601 (Annex A) as plain data, with their MDER decoder and encoder.
 * The decoder is strict: every length and count must add up to its container, nothing is left
 * over at any level; structures the manager interprets later (PhdAssociationInformation, config
 * and scan reports) are decoded from the octet strings by their own functions below, each as
 * strict. The one tolerance is explicit: an event-info with slack after a self-consistent report
 * (the caller sees `slack`).
 */

export interface DataProto {
  readonly id: number;
  readonly info: Uint8Array;
}

export interface Ava {
  readonly id: number;
  readonly value: Uint8Array;
}

export type DataMessage =
  | { readonly choice: typeof DATA.ROIV_CMIP_EVENT_REPORT | typeof DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT; readonly objHandle: number; readonly eventTime: number; readonly eventType: number; readonly eventInfo: Uint8Array }
  | { readonly choice: typeof DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT; readonly objHandle: number; readonly currentTime: number; readonly eventType: number; readonly eventReplyInfo: Uint8Array }
  | { readonly choice: typeof DATA.ROIV_CMIP_GET; readonly objHandle: number; readonly attributeIds: readonly number[] }
  | { readonly choice: typeof DATA.RORS_CMIP_GET | typeof DATA.RORS_CMIP_CONFIRMED_SET; readonly objHandle: number; readonly attributes: readonly Ava[] }
  | { readonly choice: typeof DATA.ROIV_CMIP_SET | typeof DATA.ROIV_CMIP_CONFIRMED_SET; readonly objHandle: number; readonly modifications: readonly { readonly operator: number; readonly attribute: Ava }[] }
  | { readonly choice: typeof DATA.ROIV_CMIP_ACTION | typeof DATA.ROIV_CMIP_CONFIRMED_ACTION | typeof DATA.RORS_CMIP_CONFIRMED_ACTION; readonly objHandle: number; readonly actionType: number; readonly actionInfo: Uint8Array }
  | { readonly choice: typeof DATA.ROER; readonly errorValue: number; readonly parameter: Uint8Array }
  | { readonly choice: typeof DATA.RORJ; readonly problem: number };

export interface DataApdu {
  readonly invokeId: number;
  readonly message: DataMessage;
}

export type Apdu =
  | { readonly type: 'aarq'; readonly assocVersion: number; readonly dataProtos: readonly DataProto[] }
  | { readonly type: 'aare'; readonly result: number; readonly selectedDataProto: DataProto }
  | { readonly type: 'rlrq'; readonly reason: number }
  | { readonly type: 'rlre'; readonly reason: number }
  | { readonly type: 'abrt'; readonly reason: number }
  | { readonly type: 'prst'; readonly data: DataApdu };

/**
 * A PRST whose DATA-apdu header was read (so its invoke-id is known) but whose message choice is
 * not one of 20601's: answered with RORJ unrecognized-operation, the association stays.
 */
export class UnknownDataChoiceError extends MderError {
  constructor(
    readonly invokeId: number,
    readonly choice: number,
  ) {
    super('prst.data.message.choice', `0x${choice.toString(16).padStart(4, '0')} is not a DATA-apdu message choice`);
  }
}

/** An APDU choice that is not one of 0xE200…0xE700. */
export class UnknownApduChoiceError extends MderError {
  constructor(readonly choice: number) {
    super('apdu.choice', `0x${choice.toString(16).padStart(4, '0')} is not an APDU choice`);
  }
}

function readAvaList(reader: MderReader, field: string): Ava[] {
  return reader.sequenceOf(field, (r, i) => {
    const id = r.u16(`${field}[${i}].attribute-id`);
    return { id, value: r.octetString(`${field}[${i}].attribute-value`) };
  });
}

function writeAvaList(writer: MderWriter, list: readonly Ava[]): void {
  writer.sequenceOf(list, (w, ava) => w.u16(ava.id).octetString(ava.value));
}

function decodeDataMessage(choice: number, r: MderReader, invokeId: number): DataMessage {
  switch (choice) {
    case DATA.ROIV_CMIP_EVENT_REPORT:
    case DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT:
      return { choice, objHandle: r.u16('obj-handle'), eventTime: r.u32('event-time'), eventType: r.u16('event-type'), eventInfo: r.octetString('event-info') };
    case DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT:
      return { choice, objHandle: r.u16('obj-handle'), currentTime: r.u32('currentTime'), eventType: r.u16('event-type'), eventReplyInfo: r.octetString('event-reply-info') };
    case DATA.ROIV_CMIP_GET: {
      const objHandle = r.u16('obj-handle');
      const attributeIds = r.sequenceOf('attribute-id-list', (s, i) => s.u16(`attribute-id-list[${i}]`));
      return { choice, objHandle, attributeIds };
    }
    case DATA.RORS_CMIP_GET:
    case DATA.RORS_CMIP_CONFIRMED_SET:
      return { choice, objHandle: r.u16('obj-handle'), attributes: readAvaList(r, 'attribute-list') };
    case DATA.ROIV_CMIP_SET:
    case DATA.ROIV_CMIP_CONFIRMED_SET: {
      const objHandle = r.u16('obj-handle');
      const modifications = r.sequenceOf('modification-list', (s, i) => {
        const operator = s.u16(`modification-list[${i}].modify-operator`);
        const id = s.u16(`modification-list[${i}].attribute-id`);
        return { operator, attribute: { id, value: s.octetString(`modification-list[${i}].attribute-value`) } };
      });
      return { choice, objHandle, modifications };
    }
    case DATA.ROIV_CMIP_ACTION:
    case DATA.ROIV_CMIP_CONFIRMED_ACTION:
    case DATA.RORS_CMIP_CONFIRMED_ACTION:
      return { choice, objHandle: r.u16('obj-handle'), actionType: r.u16('action-type'), actionInfo: r.octetString('action-info-args') };
    case DATA.ROER:
      return { choice, errorValue: r.u16('error-value'), parameter: r.octetString('parameter') };
    case DATA.RORJ:
      return { choice, problem: r.u16('problem') };
    default:
      throw new UnknownDataChoiceError(invokeId, choice);
  }
}

/**
 * Decodes one whole APDU (exactly the frame: 4-byte header and its length's worth of body).
 * Throws MderError (or its subclasses) for anything that does not add up.
 */
export function decodeApdu(bytes: Uint8Array): Apdu {
  const top = new MderReader(bytes, 0, bytes.length, 'apdu.');
  const choice = top.u16('choice');
  const body = top.octetStringReader('body');
  top.expectEnd('after the APDU body');
  switch (choice) {
    case APDU.AARQ: {
      const assocVersion = body.u32('assoc-version');
      const dataProtos = body.sequenceOf('data-proto-list', (r, i) => ({ id: r.u16(`data-proto-list[${i}].data-proto-id`), info: r.octetString(`data-proto-list[${i}].data-proto-info`) }));
      body.expectEnd('in the AARQ');
      return { type: 'aarq', assocVersion, dataProtos };
    }
    case APDU.AARE: {
      const result = body.u16('result');
      const selectedDataProto = { id: body.u16('selected-data-proto.data-proto-id'), info: body.octetString('selected-data-proto.data-proto-info') };
      body.expectEnd('in the AARE');
      return { type: 'aare', result, selectedDataProto };
    }
    case APDU.RLRQ:
    case APDU.RLRE:
    case APDU.ABRT: {
      const reason = body.u16('reason');
      body.expectEnd('after the reason');
      return { type: choice === APDU.RLRQ ? 'rlrq' : choice === APDU.RLRE ? 'rlre' : 'abrt', reason };
    }
    case APDU.PRST: {
      const data = body.octetStringReader('prst');
      body.expectEnd('after the PRST octet string');
      const invokeId = data.u16('invoke-id');
      const messageChoice = data.u16('message.choice');
      const message = data.octetStringReader('message');
      data.expectEnd('after the DATA-apdu message');
      const decoded = decodeDataMessage(messageChoice, message, invokeId);
      message.expectEnd('after the message fields');
      return { type: 'prst', data: { invokeId, message: decoded } };
    }
    default:
      throw new UnknownApduChoiceError(choice);
  }
}

function encodeDataMessage(w: MderWriter, m: DataMessage): void {
  switch (m.choice) {
    case DATA.ROIV_CMIP_EVENT_REPORT:
    case DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT:
      w.u16(m.objHandle).u32(m.eventTime).u16(m.eventType).octetString(m.eventInfo);
      return;
    case DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT:
      w.u16(m.objHandle).u32(m.currentTime).u16(m.eventType).octetString(m.eventReplyInfo);
      return;
    case DATA.ROIV_CMIP_GET:
      w.u16(m.objHandle).sequenceOf(m.attributeIds, (s, id) => s.u16(id));
      return;
    case DATA.RORS_CMIP_GET:
    case DATA.RORS_CMIP_CONFIRMED_SET:
      w.u16(m.objHandle);
      writeAvaList(w, m.attributes);
      return;
    case DATA.ROIV_CMIP_SET:
    case DATA.ROIV_CMIP_CONFIRMED_SET:
      w.u16(m.objHandle).sequenceOf(m.modifications, (s, mod) => s.u16(mod.operator).u16(mod.attribute.id).octetString(mod.attribute.value));
      return;
    case DATA.ROIV_CMIP_ACTION:
    case DATA.ROIV_CMIP_CONFIRMED_ACTION:
    case DATA.RORS_CMIP_CONFIRMED_ACTION:
      w.u16(m.objHandle).u16(m.actionType).octetString(m.actionInfo);
      return;
    case DATA.ROER:
      w.u16(m.errorValue).octetString(m.parameter);
      return;
    case DATA.RORJ:
      w.u16(m.problem);
      return;
  }
}

const CHOICE_OF: Readonly<Record<Apdu['type'], number>> = { aarq: APDU.AARQ, aare: APDU.AARE, rlrq: APDU.RLRQ, rlre: APDU.RLRE, abrt: APDU.ABRT, prst: APDU.PRST };

export function encodeApdu(apdu: Apdu): Uint8Array {
  const w = new MderWriter().u16(CHOICE_OF[apdu.type]);
  w.withLength((body) => {
    switch (apdu.type) {
      case 'aarq':
        body.u32(apdu.assocVersion).sequenceOf(apdu.dataProtos, (s, p) => s.u16(p.id).octetString(p.info));
        return;
      case 'aare':
        body.u16(apdu.result).u16(apdu.selectedDataProto.id).octetString(apdu.selectedDataProto.info);
        return;
      case 'rlrq':
      case 'rlre':
      case 'abrt':
        body.u16(apdu.reason);
        return;
      case 'prst':
        body.withLength((data) => {
          data.u16(apdu.data.invokeId).u16(apdu.data.message.choice);
          data.withLength((m) => encodeDataMessage(m, apdu.data.message));
        });
        return;
    }
  });
  return w.finish();
}

// ---- PhdAssociationInformation (the data-proto-info of a 20601 AARQ / AARE) ----

export interface PhdAssociationInformation {
  readonly protocolVersion: number;
  readonly encodingRules: number;
  readonly nomenclatureVersion: number;
  readonly functionalUnits: number;
  readonly systemType: number;
  readonly systemId: Uint8Array;
  readonly devConfigId: number;
  readonly dataReqModeFlags: number;
  readonly dataReqInitAgentCount: number;
  readonly dataReqInitManagerCount: number;
  readonly optionList: readonly Ava[];
}

export function decodePhdAssociationInformation(info: Uint8Array): PhdAssociationInformation {
  const r = new MderReader(info, 0, info.length, 'phd-association-information.');
  const value: PhdAssociationInformation = {
    protocolVersion: r.u32('protocolVersion'),
    encodingRules: r.u16('encodingRules'),
    nomenclatureVersion: r.u32('nomenclatureVersion'),
    functionalUnits: r.u32('functionalUnits'),
    systemType: r.u32('systemType'),
    systemId: r.octetString('system-id'),
    devConfigId: r.u16('dev-config-id'),
    dataReqModeFlags: r.u16('data-req-mode-capab.data-req-mode-flags'),
    dataReqInitAgentCount: r.u8('data-req-mode-capab.data-req-init-agent-count'),
    dataReqInitManagerCount: r.u8('data-req-mode-capab.data-req-init-manager-count'),
    optionList: readAvaList(r, 'optionList'),
  };
  r.expectEnd('after the option list');
  return value;
}

export function encodePhdAssociationInformation(value: PhdAssociationInformation): Uint8Array {
  const w = new MderWriter()
    .u32(value.protocolVersion)
    .u16(value.encodingRules)
    .u32(value.nomenclatureVersion)
    .u32(value.functionalUnits)
    .u32(value.systemType)
    .octetString(value.systemId)
    .u16(value.devConfigId)
    .u16(value.dataReqModeFlags)
    .u8(value.dataReqInitAgentCount)
    .u8(value.dataReqInitManagerCount);
  writeAvaList(w, value.optionList);
  return w.finish();
}

// ---- ConfigReport and its response (MDC_NOTI_CONFIG) ----

export interface ConfigObject {
  readonly objClass: number;
  readonly objHandle: number;
  readonly attributes: readonly Ava[];
}

export interface ConfigReport {
  readonly configReportId: number;
  readonly objects: readonly ConfigObject[];
}

/** Slack: bytes inside the event-info after a self-consistent report (tolerated, reported). */
export interface Decoded<T> {
  readonly value: T;
  readonly slack: number;
}

export function decodeConfigReport(eventInfo: Uint8Array): Decoded<ConfigReport> {
  const r = new MderReader(eventInfo, 0, eventInfo.length, 'config-report.');
  const configReportId = r.u16('config-report-id');
  const objects = r.sequenceOf('config-obj-list', (s, i) => ({
    objClass: s.u16(`config-obj-list[${i}].obj-class`),
    objHandle: s.u16(`config-obj-list[${i}].obj-handle`),
    attributes: readAvaList(s, `config-obj-list[${i}].attributes`),
  }));
  return { value: { configReportId, objects }, slack: r.remaining };
}

export function encodeConfigReport(report: ConfigReport): Uint8Array {
  return new MderWriter()
    .u16(report.configReportId)
    .sequenceOf(report.objects, (w, o) => {
      w.u16(o.objClass).u16(o.objHandle);
      writeAvaList(w, o.attributes);
    })
    .finish();
}

export function encodeConfigReportRsp(configReportId: number, configResult: number): Uint8Array {
  return new MderWriter().u16(configReportId).u16(configResult).finish();
}

export function decodeConfigReportRsp(replyInfo: Uint8Array): { configReportId: number; configResult: number } {
  const r = new MderReader(replyInfo, 0, replyInfo.length, 'config-report-rsp.');
  const value = { configReportId: r.u16('config-report-id'), configResult: r.u16('config-result') };
  r.expectEnd();
  return value;
}

// ---- Scan reports (MDC_NOTI_SCAN_REPORT_{FIXED,VAR,MP_FIXED,MP_VAR}) ----

export interface ObservationScanFixed {
  readonly objHandle: number;
  readonly obsValData: Uint8Array;
}

export interface ObservationScan {
  readonly objHandle: number;
  readonly attributes: readonly Ava[];
}

/** One scan report of any of the four layouts, with its observations per person (undefined: not MP). */
export interface ScanReport {
  readonly dataReqId: number;
  readonly scanReportNo: number;
  readonly persons: readonly {
    readonly personId: number | undefined;
    readonly fixed?: readonly ObservationScanFixed[];
    readonly variable?: readonly ObservationScan[];
  }[];
}

function readFixedList(r: MderReader, field: string): ObservationScanFixed[] {
  return r.sequenceOf(field, (s, i) => ({ objHandle: s.u16(`${field}[${i}].obj-handle`), obsValData: s.octetString(`${field}[${i}].obs-val-data`) }));
}

function readVarList(r: MderReader, field: string): ObservationScan[] {
  return r.sequenceOf(field, (s, i) => ({ objHandle: s.u16(`${field}[${i}].obj-handle`), attributes: readAvaList(s, `${field}[${i}].attributes`) }));
}

export type ScanLayout = 'fixed' | 'var' | 'mp-fixed' | 'mp-var';

export function decodeScanReport(layout: ScanLayout, eventInfo: Uint8Array): Decoded<ScanReport> {
  const r = new MderReader(eventInfo, 0, eventInfo.length, 'scan-report-info.');
  const dataReqId = r.u16('data-req-id');
  const scanReportNo = r.u16('scan-report-no');
  let persons: ScanReport['persons'];
  switch (layout) {
    case 'fixed':
      persons = [{ personId: undefined, fixed: readFixedList(r, 'obs-scan-fixed') }];
      break;
    case 'var':
      persons = [{ personId: undefined, variable: readVarList(r, 'obs-scan-var') }];
      break;
    case 'mp-fixed':
      persons = r.sequenceOf('scan-per-fixed', (s, i) => ({ personId: s.u16(`scan-per-fixed[${i}].person-id`), fixed: readFixedList(s, `scan-per-fixed[${i}].obs-scan-fixed`) }));
      break;
    case 'mp-var':
      persons = r.sequenceOf('scan-per-var', (s, i) => ({ personId: s.u16(`scan-per-var[${i}].person-id`), variable: readVarList(s, `scan-per-var[${i}].obs-scan-var`) }));
      break;
  }
  return { value: { dataReqId, scanReportNo, persons }, slack: r.remaining };
}

export function encodeScanReport(layout: ScanLayout, report: ScanReport): Uint8Array {
  const w = new MderWriter().u16(report.dataReqId).u16(report.scanReportNo);
  const fixed = (s: MderWriter, list: readonly ObservationScanFixed[]) => s.sequenceOf(list, (x, o) => x.u16(o.objHandle).octetString(o.obsValData));
  const variable = (s: MderWriter, list: readonly ObservationScan[]) =>
    s.sequenceOf(list, (x, o) => {
      x.u16(o.objHandle);
      writeAvaList(x, o.attributes);
    });
  if (layout === 'fixed') fixed(w, report.persons[0]?.fixed ?? []);
  else if (layout === 'var') variable(w, report.persons[0]?.variable ?? []);
  else if (layout === 'mp-fixed') w.sequenceOf(report.persons, (s, p) => fixed(s.u16(p.personId ?? 0), p.fixed ?? []));
  else w.sequenceOf(report.persons, (s, p) => variable(s.u16(p.personId ?? 0), p.variable ?? []));
  return w.finish();
}

/** Decodes an AttributeList held in an octet string (a GET response's list, an MDS attribute). */
export function decodeAttributeList(bytes: Uint8Array, field = 'attribute-list'): Ava[] {
  const r = new MderReader(bytes, 0, bytes.length, '');
  const list = readAvaList(r, field);
  r.expectEnd();
  return list;
}

export function encodeAttributeList(list: readonly Ava[]): Uint8Array {
  const w = new MderWriter();
  writeAvaList(w, list);
  return w.finish();
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
