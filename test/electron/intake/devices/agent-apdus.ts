import { encodeApdu, encodeConfigReport, encodePhdAssociationInformation, encodeScanReport, type Apdu, type ConfigReport, type ScanLayout, type ScanReport } from '../../../../electron/intake/devices/apdu';
import { STANDARD_CONFIGURATIONS } from '../../../../electron/intake/devices/configuration';
import { encodeAbsoluteTime, encodeFloat, encodeSfloat, type MderNumber } from '../../../../electron/intake/devices/mder-values';
import { MderWriter } from '../../../../electron/intake/devices/mder';
import { ASSOC_VERSION1, DATA, DATA_PROTO_ID_20601, ENCODING_MDER, NOM_VERSION1, NOTI, PROTOCOL_VERSION1, SYS_TYPE_AGENT } from '../../../../electron/intake/devices/nomenclature';

/**
 * The project's own agent-side APDUs for tests: what a blood-pressure monitor, a scale, a
 * thermometer… would send, built field by field from 20601's layouts (no third-party bytes).
 */

export const SYSTEM_ID = Uint8Array.from([0x00, 0x1c, 0x05, 0xff, 0xfe, 0x12, 0x34, 0x56]);

export function aarq(configId: number, options: { systemId?: Uint8Array; assocVersion?: number; protoId?: number; protocolVersion?: number; encodingRules?: number } = {}): Uint8Array {
  const info = encodePhdAssociationInformation({
    protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION1,
    encodingRules: options.encodingRules ?? ENCODING_MDER,
    nomenclatureVersion: NOM_VERSION1,
    functionalUnits: 0,
    systemType: SYS_TYPE_AGENT,
    systemId: options.systemId ?? SYSTEM_ID,
    devConfigId: configId,
    dataReqModeFlags: 0x0001,
    dataReqInitAgentCount: 1,
    dataReqInitManagerCount: 0,
    optionList: [],
  });
  return encodeApdu({ type: 'aarq', assocVersion: options.assocVersion ?? ASSOC_VERSION1, dataProtos: [{ id: options.protoId ?? DATA_PROTO_ID_20601, info }] });
}

export function prst(invokeId: number, message: Extract<Apdu, { type: 'prst' }>['data']['message']): Uint8Array {
  return encodeApdu({ type: 'prst', data: { invokeId, message } });
}

export function configReportApdu(invokeId: number, report: ConfigReport): Uint8Array {
  return prst(invokeId, { choice: DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT, objHandle: 0, eventTime: 0xffffffff, eventType: NOTI.CONFIG, eventInfo: encodeConfigReport(report) });
}

/** The standard blood-pressure configuration, reported as an extended one (id 0x4001). */
export function extendedBpReport(configId = 0x4001): ConfigReport {
  return { ...STANDARD_CONFIGURATIONS.get(0x02bc)!.report, configReportId: configId };
}

export const sf = (mantissa: number, exponent = 0): MderNumber => ({ kind: 'number', mantissa, exponent, value: mantissa * 10 ** exponent });

export function sfloatBytes(...values: MderNumber[]): Uint8Array {
  const w = new MderWriter();
  for (const v of values) w.u16(encodeSfloat(v));
  return w.finish();
}

export function floatBytes(value: MderNumber): Uint8Array {
  return new MderWriter().u32(encodeFloat(value)).finish();
}

export const TIME = { year: 2026, month: 11, day: 21, hour: 8, minute: 52, second: 35, hundredths: 50 };
export const timeBytes = (t = TIME) => encodeAbsoluteTime(t);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A blood-pressure fixed scan report (config 0x02BC layout): sys/dia/MAP on handle 1, pulse on handle 2. */
export function bpReport(invokeId: number, values: { sys: MderNumber; dia: MderNumber; map: MderNumber; pulse: MderNumber }, options: { confirmed?: boolean; time?: Uint8Array; scanReportNo?: number } = {}): Uint8Array {
  const time = options.time ?? timeBytes();
  const compound = concat(new MderWriter().u16(3).u16(6).finish(), sfloatBytes(values.sys, values.dia, values.map));
  const report: ScanReport = {
    dataReqId: 0xf000,
    scanReportNo: options.scanReportNo ?? 0,
    persons: [{ personId: undefined, fixed: [{ objHandle: 1, obsValData: concat(compound, time) }, { objHandle: 2, obsValData: concat(sfloatBytes(values.pulse), time) }] }],
  };
  return scanApdu(invokeId, 'fixed', report, options.confirmed ?? true);
}

export function scanApdu(invokeId: number, layout: ScanLayout, report: ScanReport, confirmed = true): Uint8Array {
  const eventType = { fixed: NOTI.SCAN_REPORT_FIXED, var: NOTI.SCAN_REPORT_VAR, 'mp-fixed': NOTI.SCAN_REPORT_MP_FIXED, 'mp-var': NOTI.SCAN_REPORT_MP_VAR }[layout];
  return prst(invokeId, { choice: confirmed ? DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT : DATA.ROIV_CMIP_EVENT_REPORT, objHandle: 0, eventTime: 0xffffffff, eventType, eventInfo: encodeScanReport(layout, report) });
}

export const rlrq = (reason = 0) => encodeApdu({ type: 'rlrq', reason });
export const rlre = (reason = 0) => encodeApdu({ type: 'rlre', reason });
export const abrt = (reason = 0) => encodeApdu({ type: 'abrt', reason });

export const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
