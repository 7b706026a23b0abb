import { decodeScanReport, encodeConfigReport, decodeConfigReport, type Ava, type ConfigObject, type ConfigReport, type ScanLayout } from './apdu';
import { MderError, MderReader, MderWriter } from './mder';
import { decodeAbsoluteTime, decodeFloat, decodeSfloat, type AbsoluteTime, type MderNumber } from './mder-values';
import { ATTR, CONFIG_RESULT, DIM, MDC, MOC, NOTI } from './nomenclature';

/**
 * A device's configuration (its metric objects) as the manager uses it to read scan reports: from
 * a standard configuration the manager knows (10407 blood pressure, 10415 scale, 10404 pulse
 * oximeter, 10417 glucose, 10408 thermometer) or from the agent's configuration report.
 */

export interface AttributeValueMapEntry {
  readonly id: number;
  readonly length: number;
}

export interface MetricObject {
  readonly objClass: number;
  readonly handle: number;
  /** TYPE: partition and code. */
  readonly partition: number;
  readonly code: number;
  readonly unitCode: number | undefined;
  /** For fixed-format observations: which attributes, in order, with their lengths. */
  readonly attributeValueMap: readonly AttributeValueMapEntry[] | undefined;
  /** For compound values: the code of each element. */
  readonly physioList: readonly number[] | undefined;
}

export interface DeviceConfiguration {
  readonly configId: number;
  readonly objects: ReadonlyMap<number, MetricObject>;
  /** The report it came from (what the manager persists for an extended configuration). */
  readonly report: ConfigReport;
}

export type ConfigurationCheck = { readonly ok: true; readonly configuration: DeviceConfiguration } | { readonly ok: false; readonly result: number; readonly reason: string };

/** Lengths fixed by the standard for the attributes a fixed-format observation may carry. */
function expectedLength(id: number): ((length: number) => boolean) | undefined {
  switch (id) {
    case ATTR.NU_VAL_OBS_BASIC:
      return (l) => l === 2;
    case ATTR.NU_VAL_OBS_SIMP:
    case ATTR.TIME_STAMP_REL:
      return (l) => l === 4;
    case ATTR.TIME_STAMP_ABS:
      return (l) => l === 8;
    case ATTR.NU_VAL_OBS:
      return (l) => l === 10;
    case ATTR.NU_CMPD_VAL_OBS_BASIC:
      return (l) => l >= 4 && (l - 4) % 2 === 0;
    case ATTR.NU_CMPD_VAL_OBS_SIMP:
      return (l) => l >= 4 && (l - 4) % 4 === 0;
    default:
      return undefined;
  }
}

function attr(attributes: readonly Ava[], id: number): Uint8Array | undefined {
  return attributes.find((a) => a.id === id)?.value;
}

function metricObject(o: ConfigObject): MetricObject {
  const at = (field: string, value: Uint8Array) => new MderReader(value, 0, value.length, `config-object[${o.objHandle}].${field}.`);
  const typeBytes = attr(o.attributes, ATTR.ID_TYPE);
  let partition = 0;
  let code = 0;
  if (typeBytes !== undefined) {
    const r = at('type', typeBytes);
    partition = r.u16('partition');
    code = r.u16('code');
    r.expectEnd();
  }
  const unitBytes = attr(o.attributes, ATTR.UNIT_CODE);
  let unitCode: number | undefined;
  if (unitBytes !== undefined) {
    const r = at('unit-code', unitBytes);
    unitCode = r.u16('oid');
    r.expectEnd();
  }
  const mapBytes = attr(o.attributes, ATTR.ATTRIBUTE_VAL_MAP);
  let attributeValueMap: AttributeValueMapEntry[] | undefined;
  if (mapBytes !== undefined) {
    const r = at('attribute-value-map', mapBytes);
    attributeValueMap = r.sequenceOf('entries', (s, i) => ({ id: s.u16(`[${i}].attribute-id`), length: s.u16(`[${i}].attribute-len`) }));
    r.expectEnd();
  }
  const physioBytes = attr(o.attributes, ATTR.ID_PHYSIO_LIST);
  let physioList: number[] | undefined;
  if (physioBytes !== undefined) {
    const r = at('physio-list', physioBytes);
    physioList = r.sequenceOf('codes', (s, i) => s.u16(`[${i}]`));
    r.expectEnd();
  }
  return { objClass: o.objClass, handle: o.objHandle, partition, code, unitCode, attributeValueMap, physioList };
}

/**
 * Checks a configuration report the way the manager answers it (config-result): an empty object
 * list, an attribute that does not parse, or a value map whose lengths contradict the standard is
 * unsupported-config; a standard-range id the manager does not know and that brings no objects is
 * standard-config-unknown.
 */
export function checkConfiguration(report: ConfigReport): ConfigurationCheck {
  if (report.objects.length === 0) {
    const standard = report.configReportId >= 0x0001 && report.configReportId <= 0x3fff;
    return { ok: false, result: standard ? CONFIG_RESULT.standardConfigUnknown : CONFIG_RESULT.unsupportedConfig, reason: 'the configuration has no objects' };
  }
  const objects = new Map<number, MetricObject>();
  for (const o of report.objects) {
    if (objects.has(o.objHandle)) return { ok: false, result: CONFIG_RESULT.unsupportedConfig, reason: `handle ${o.objHandle} appears twice` };
    let object: MetricObject;
    try {
      object = metricObject(o);
    } catch (error) {
      return { ok: false, result: CONFIG_RESULT.unsupportedConfig, reason: error instanceof Error ? error.message : 'an attribute does not parse' };
    }
    for (const entry of object.attributeValueMap ?? []) {
      const fits = expectedLength(entry.id);
      if (fits !== undefined && !fits(entry.length)) {
        return { ok: false, result: CONFIG_RESULT.unsupportedConfig, reason: `handle ${o.objHandle}: attribute 0x${entry.id.toString(16)} cannot be ${entry.length} bytes long` };
      }
    }
    objects.set(o.objHandle, object);
  }
  return { ok: true, configuration: { configId: report.configReportId, objects, report } };
}

// ---- Standard configurations (the device specializations' object models) ----

const u16s = (...values: number[]) => {
  const w = new MderWriter();
  for (const v of values) w.u16(v);
  return w.finish();
};
const typeOf = (code: number) => ({ id: ATTR.ID_TYPE, value: u16s(2, code) });
const unit = (code: number) => ({ id: ATTR.UNIT_CODE, value: u16s(code) });
const metricSpec = (bits: number) => ({ id: ATTR.METRIC_SPEC_SMALL, value: u16s(bits) });
const valueMap = (...entries: [number, number][]) => ({ id: ATTR.ATTRIBUTE_VAL_MAP, value: new MderWriter().sequenceOf(entries, (w, [id, l]) => w.u16(id).u16(l)).finish() });
const physio = (...codes: number[]) => ({ id: ATTR.ID_PHYSIO_LIST, value: new MderWriter().sequenceOf(codes, (w, c) => w.u16(c)).finish() });
const numeric = (handle: number, attributes: Ava[]): ConfigObject => ({ objClass: MOC.VMO_METRIC_NU, objHandle: handle, attributes });

/** 0xF040: mss-avail-intermittent | mss-avail-stored-data | mss-upd-aperiodic | mss-msmt-aperiodic; 0x4040: mss-avail-stored-data… for continuous oximetry. */
const INTERMITTENT = 0xf040;
const CONTINUOUS = 0x4040;

export const STANDARD_CONFIGURATIONS: ReadonlyMap<number, { readonly name: string; readonly report: ConfigReport }> = new Map([
  [
    0x02bc,
    {
      name: 'Blood pressure monitor (10407)',
      report: {
        configReportId: 0x02bc,
        objects: [
          numeric(1, [typeOf(MDC.PRESS_BLD_NONINV), metricSpec(INTERMITTENT), { id: ATTR.METRIC_STRUCT_SMALL, value: Uint8Array.of(3, 3) }, physio(MDC.PRESS_BLD_NONINV_SYS, MDC.PRESS_BLD_NONINV_DIA, MDC.PRESS_BLD_NONINV_MEAN), unit(DIM.MMHG), valueMap([ATTR.NU_CMPD_VAL_OBS_BASIC, 10], [ATTR.TIME_STAMP_ABS, 8])]),
          numeric(2, [typeOf(MDC.PULS_RATE_NON_INV), metricSpec(INTERMITTENT), unit(DIM.BEAT_PER_MIN), valueMap([ATTR.NU_VAL_OBS_BASIC, 2], [ATTR.TIME_STAMP_ABS, 8])]),
        ],
      },
    },
  ],
  [0x05dc, { name: 'Weighing scale (10415)', report: { configReportId: 0x05dc, objects: [numeric(1, [typeOf(MDC.MASS_BODY_ACTUAL), metricSpec(INTERMITTENT), unit(DIM.KILO_G), valueMap([ATTR.NU_VAL_OBS_SIMP, 4], [ATTR.TIME_STAMP_ABS, 8])])] } }],
  [
    0x0190,
    {
      name: 'Pulse oximeter (10404)',
      report: {
        configReportId: 0x0190,
        objects: [
          numeric(1, [typeOf(MDC.PULS_OXIM_SAT_O2), metricSpec(CONTINUOUS), unit(DIM.PERCENT), valueMap([ATTR.NU_VAL_OBS_BASIC, 2])]),
          numeric(10, [typeOf(MDC.PULS_OXIM_PULS_RATE), metricSpec(CONTINUOUS), unit(DIM.BEAT_PER_MIN), valueMap([ATTR.NU_VAL_OBS_BASIC, 2])]),
        ],
      },
    },
  ],
  [
    0x0191,
    {
      name: 'Pulse oximeter with time stamps (10404)',
      report: {
        configReportId: 0x0191,
        objects: [
          numeric(1, [typeOf(MDC.PULS_OXIM_SAT_O2), metricSpec(CONTINUOUS), unit(DIM.PERCENT), valueMap([ATTR.NU_VAL_OBS_BASIC, 2], [ATTR.TIME_STAMP_ABS, 8])]),
          numeric(10, [typeOf(MDC.PULS_OXIM_PULS_RATE), metricSpec(CONTINUOUS), unit(DIM.BEAT_PER_MIN), valueMap([ATTR.NU_VAL_OBS_BASIC, 2], [ATTR.TIME_STAMP_ABS, 8])]),
        ],
      },
    },
  ],
  [0x06a4, { name: 'Glucose meter (10417)', report: { configReportId: 0x06a4, objects: [numeric(1, [typeOf(MDC.CONC_GLU_CAPILLARY_WHOLEBLOOD), metricSpec(INTERMITTENT), unit(DIM.MILLI_G_PER_DL), valueMap([ATTR.NU_VAL_OBS_BASIC, 2], [ATTR.TIME_STAMP_ABS, 8])])] } }],
  [0x0320, { name: 'Thermometer (10408)', report: { configReportId: 0x0320, objects: [numeric(1, [typeOf(MDC.TEMP_BODY), metricSpec(INTERMITTENT), unit(DIM.DEGC), valueMap([ATTR.NU_VAL_OBS_BASIC, 2], [ATTR.TIME_STAMP_ABS, 8])])] } }],
]);

export function standardConfiguration(configId: number): DeviceConfiguration | undefined {
  const entry = STANDARD_CONFIGURATIONS.get(configId);
  if (entry === undefined) return undefined;
  const check = checkConfiguration(entry.report);
  if (!check.ok) throw new Error(`standard configuration 0x${configId.toString(16)} is inconsistent: ${check.reason}`);
  return check.configuration;
}

/** A configuration persisted as its report's bytes (extended configurations, per system id + id). */
export function configurationFromBytes(bytes: Uint8Array): DeviceConfiguration {
  const { value } = decodeConfigReport(bytes);
  const check = checkConfiguration(value);
  if (!check.ok) throw new MderError('stored-configuration', check.reason);
  return check.configuration;
}

export function configurationToBytes(configuration: DeviceConfiguration): Uint8Array {
  return encodeConfigReport(configuration.report);
}

// ---- Reading observations out of scan reports ----

export interface DecodedObservation {
  readonly handle: number;
  readonly personId: number | undefined;
  readonly code: number;
  readonly partition: number;
  readonly unitCode: number | undefined;
  readonly value: MderNumber;
  /** The observation's Absolute-Time-Stamp when it carried one (valid or not). */
  readonly deviceTime: AbsoluteTime | undefined;
}

export interface ScanDecode {
  readonly observations: readonly DecodedObservation[];
  /** What was skipped and why (handles, attribute ids, lengths; never values). */
  readonly notes: readonly string[];
}

export function scanLayoutOf(eventType: number): ScanLayout | undefined {
  switch (eventType) {
    case NOTI.SCAN_REPORT_FIXED:
      return 'fixed';
    case NOTI.SCAN_REPORT_VAR:
      return 'var';
    case NOTI.SCAN_REPORT_MP_FIXED:
      return 'mp-fixed';
    case NOTI.SCAN_REPORT_MP_VAR:
      return 'mp-var';
    default:
      return undefined;
  }
}

function valuesOf(id: number, value: Uint8Array, object: MetricObject, field: string): { code: number; unitCode: number | undefined; value: MderNumber }[] | undefined {
  const r = new MderReader(value, 0, value.length, field + '.');
  let out: { code: number; unitCode: number | undefined; value: MderNumber }[] | undefined;
  switch (id) {
    case ATTR.NU_VAL_OBS_BASIC:
      out = [{ code: object.code, unitCode: object.unitCode, value: decodeSfloat(r.u16('sfloat')) }];
      break;
    case ATTR.NU_VAL_OBS_SIMP:
      out = [{ code: object.code, unitCode: object.unitCode, value: decodeFloat(r.u32('float')) }];
      break;
    case ATTR.NU_VAL_OBS: {
      const metricId = r.u16('metric-id');
      r.u16('state');
      const unitCode = r.u16('unit-code');
      out = [{ code: metricId, unitCode, value: decodeFloat(r.u32('value')) }];
      break;
    }
    case ATTR.NU_CMPD_VAL_OBS_BASIC:
    case ATTR.NU_CMPD_VAL_OBS_SIMP: {
      const basic = id === ATTR.NU_CMPD_VAL_OBS_BASIC;
      const values = r.sequenceOf('compound', (s, i) => (basic ? decodeSfloat(s.u16(`[${i}]`)) : decodeFloat(s.u32(`[${i}]`))));
      out = values.map((v, i) => ({ code: object.physioList?.[i] ?? object.code, unitCode: object.unitCode, value: v }));
      break;
    }
    default:
      return undefined;
  }
  r.expectEnd();
  return out;
}

/**
 * The observations of a scan report under a configuration. An observation whose handle is not
 * configured, or whose fixed-format bytes do not match the configured value map exactly, is
 * dropped with a note (never guessed); the rest of the report is kept.
 */
export function decodeObservations(configuration: DeviceConfiguration, layout: ScanLayout, eventInfo: Uint8Array): ScanDecode & { slack: number } {
  const { value: report, slack } = decodeScanReport(layout, eventInfo);
  const observations: DecodedObservation[] = [];
  const notes: string[] = [];
  if (slack > 0) notes.push(`event-info has ${slack} byte(s) of slack after the report`);
  for (const person of report.persons) {
    const push = (object: MetricObject, entries: readonly { id: number; value: Uint8Array }[]) => {
      let deviceTime: AbsoluteTime | undefined;
      const found: { code: number; unitCode: number | undefined; value: MderNumber }[] = [];
      for (const entry of entries) {
        if (entry.id === ATTR.TIME_STAMP_ABS) deviceTime = decodeAbsoluteTime(entry.value);
        else {
          const values = valuesOf(entry.id, entry.value, object, `handle ${object.handle}`);
          if (values === undefined) notes.push(`handle ${object.handle}: attribute 0x${entry.id.toString(16)} not read`);
          else found.push(...values);
        }
      }
      for (const v of found) observations.push({ handle: object.handle, personId: person.personId, code: v.code, partition: object.partition, unitCode: v.unitCode, value: v.value, deviceTime });
    };
    for (const o of person.fixed ?? []) {
      const object = configuration.objects.get(o.objHandle);
      if (object === undefined || object.attributeValueMap === undefined) {
        notes.push(`handle ${o.objHandle} is not in configuration 0x${configuration.configId.toString(16)}: observation ignored`);
        continue;
      }
      const expected = object.attributeValueMap.reduce((sum, e) => sum + e.length, 0);
      if (o.obsValData.length !== expected) {
        notes.push(`handle ${o.objHandle}: ${o.obsValData.length} bytes where the value map declares ${expected}: observation dropped`);
        continue;
      }
      const r = new MderReader(o.obsValData, 0, o.obsValData.length, `handle ${o.objHandle}.`);
      try {
        push(object, object.attributeValueMap.map((e) => ({ id: e.id, value: r.bytesOf(e.length, `0x${e.id.toString(16)}`) })));
      } catch (error) {
        if (!(error instanceof MderError)) throw error;
        notes.push(`handle ${o.objHandle}: ${error.message}: observation dropped`);
      }
    }
    for (const o of person.variable ?? []) {
      const object = configuration.objects.get(o.objHandle);
      if (object === undefined) {
        notes.push(`handle ${o.objHandle} is not in configuration 0x${configuration.configId.toString(16)}: observation ignored`);
        continue;
      }
      try {
        push(object, o.attributes);
      } catch (error) {
        if (!(error instanceof MderError)) throw error;
        notes.push(`handle ${o.objHandle}: ${error.message}: observation dropped`);
      }
    }
  }
  return { observations, notes, slack };
}
