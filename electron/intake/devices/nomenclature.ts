/**
 * The codes of IEEE 11073-20601 and the 10101 nomenclature this manager uses, by their standard
 * names. Only the ones the code needs; a code not here is carried as its number.
 */

/** APDU choice (20601 Annex A, ApduType). */
export const APDU = { AARQ: 0xe200, AARE: 0xe300, RLRQ: 0xe400, RLRE: 0xe500, ABRT: 0xe600, PRST: 0xe700 } as const;

/** DATA-apdu message choice. */
export const DATA = {
  ROIV_CMIP_EVENT_REPORT: 0x0100,
  ROIV_CMIP_CONFIRMED_EVENT_REPORT: 0x0101,
  ROIV_CMIP_GET: 0x0103,
  ROIV_CMIP_SET: 0x0104,
  ROIV_CMIP_CONFIRMED_SET: 0x0105,
  ROIV_CMIP_ACTION: 0x0106,
  ROIV_CMIP_CONFIRMED_ACTION: 0x0107,
  RORS_CMIP_CONFIRMED_EVENT_REPORT: 0x0201,
  RORS_CMIP_GET: 0x0203,
  RORS_CMIP_CONFIRMED_SET: 0x0205,
  RORS_CMIP_CONFIRMED_ACTION: 0x0207,
  ROER: 0x0300,
  RORJ: 0x0400,
} as const;

/** AssociationVersion: assoc-version1. */
export const ASSOC_VERSION1 = 0x80000000;
/** DataProtoId for 20601. */
export const DATA_PROTO_ID_20601 = 20601;
/** ProtocolVersion bits: protocol-version1 is bit 0 (the most significant). */
export const PROTOCOL_VERSION1 = 0x80000000;
/** EncodingRules bits. */
export const ENCODING_MDER = 0x8000;
/** NomenclatureVersion: nom-version1. */
export const NOM_VERSION1 = 0x80000000;
/** SystemType bits. */
export const SYS_TYPE_MANAGER = 0x80000000;
export const SYS_TYPE_AGENT = 0x00800000;

/** AssociateResult. */
export const AARE_RESULT = {
  accepted: 0,
  rejectedPermanent: 1,
  rejectedTransient: 2,
  acceptedUnknownConfig: 3,
  rejectedNoCommonProtocol: 4,
  rejectedNoCommonParameter: 5,
  rejectedUnknown: 6,
  rejectedUnauthorized: 7,
  rejectedUnsupportedAssocVersion: 8,
} as const;

/** ReleaseRequestReason / ReleaseResponseReason. */
export const RELEASE_REASON = { normal: 0, noMoreConfigurations: 1, configurationChanged: 2 } as const;

/** Abort-reason. */
export const ABORT_REASON = { undefined: 0, bufferOverflow: 1, responseTimeout: 2, configurationTimeout: 3 } as const;

/** ConfigResult. */
export const CONFIG_RESULT = { acceptedConfig: 0, unsupportedConfig: 1, standardConfigUnknown: 2 } as const;

/** RorjProblem. */
export const RORJ_PROBLEM = { unrecognizedApdu: 0, badlyStructuredApdu: 2, unrecognizedOperation: 101, resourceLimitation: 103, unexpectedError: 303 } as const;

/** ROER error values. */
export const ROER_ERROR = { noSuchObjectInstance: 1, accessDenied: 2, noSuchAction: 9, invalidObjectInstance: 17, protocolViolation: 23, notAllowedByObject: 24 } as const;

/** ConfigId ranges. */
export const CONFIG_ID = { manager: 0x0000, standardMin: 0x0001, standardMax: 0x3fff, extendedMin: 0x4000, extendedMax: 0x7fff } as const;

/** Event types (MDC_NOTI_*). */
export const NOTI = {
  CONFIG: 0x0d1c,
  SCAN_REPORT_FIXED: 0x0d1d,
  SCAN_REPORT_VAR: 0x0d1e,
  SCAN_REPORT_MP_FIXED: 0x0d1f,
  SCAN_REPORT_MP_VAR: 0x0d20,
} as const;

/** Object classes (MDC_MOC_*). */
export const MOC = { VMO_METRIC_NU: 6, VMO_METRIC_RT_SA: 9, VMO_METRIC_ENUM: 5, VMS_MDS_SIMP: 37, PM_STORE: 61 } as const;

/** Attribute ids (MDC_ATTR_*). */
export const ATTR = {
  ID_HANDLE: 0x0921,
  ID_TYPE: 0x092f,
  ID_MODEL: 0x0928,
  ID_PROD_SPECN: 0x092d,
  METRIC_SPEC_SMALL: 0x0a46,
  METRIC_STRUCT_SMALL: 0x0a73,
  ID_PHYSIO_LIST: 0x0a76,
  UNIT_CODE: 0x0996,
  ATTRIBUTE_VAL_MAP: 0x0a55,
  NU_VAL_OBS_BASIC: 0x0a4c,
  NU_VAL_OBS_SIMP: 0x0a56,
  NU_VAL_OBS: 0x0a50,
  NU_CMPD_VAL_OBS_BASIC: 0x0a75,
  NU_CMPD_VAL_OBS_SIMP: 0x0a74,
  TIME_STAMP_ABS: 0x0990,
  TIME_ABS: 0x0987,
  TIME_STAMP_REL: 0x098f,
  SYS_ID: 0x0984,
  SYS_TYPE_SPEC_LIST: 0x0a5a,
  DEV_CONFIG_ID: 0x0a44,
  SOURCE_HANDLE_REF: 0x0a48,
} as const;

/** The MDS object's handle. */
export const MDS_HANDLE = 0;

/** Measurement codes (partition SCADA, MDC_*). */
export const MDC = {
  PRESS_BLD_NONINV: 0x4a04,
  PRESS_BLD_NONINV_SYS: 0x4a05,
  PRESS_BLD_NONINV_DIA: 0x4a06,
  PRESS_BLD_NONINV_MEAN: 0x4a07,
  PULS_RATE_NON_INV: 0x482a,
  PULS_OXIM_SAT_O2: 0x4bb8,
  PULS_OXIM_PULS_RATE: 0x481a,
  TEMP_BODY: 0x4b5c,
  MASS_BODY_ACTUAL: 0xe140,
  LEN_BODY_ACTUAL: 0xe144,
  BODY_FAT: 0xe14c,
  RATIO_MASS_BODY_LEN_SQ: 0xe150,
  CONC_GLU_CAPILLARY_WHOLEBLOOD: 0x71b8,
  CONC_GLU_CAPILLARY_PLASMA: 0x71bc,
  CONC_GLU_VENOUS_WHOLEBLOOD: 0x71c0,
  CONC_GLU_VENOUS_PLASMA: 0x71c4,
} as const;

/** Units (MDC_DIM_*). */
export const DIM = {
  DIMLESS: 0x0200,
  PERCENT: 0x0220,
  CENTI_M: 0x0511,
  KILO_G: 0x06c3,
  LB: 0x06e0,
  KG_PER_M_SQ: 0x07a0,
  MILLI_G_PER_DL: 0x0852,
  BEAT_PER_MIN: 0x0aa0,
  KILO_PASCAL: 0x0f03,
  MMHG: 0x0f20,
  FAHR: 0x1140,
  MILLI_MOLE_PER_L: 0x1272,
  DEGC: 0x17a0,
} as const;

/** Readable names of the measurement codes above (for the record and the UI). */
export const MDC_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(MDC).map(([name, code]) => [code, `MDC_${name}`]));

/** UCUM of the units above; a unit not here keeps its MDC code and no UCUM. */
export const DIM_UCUM: ReadonlyMap<number, string> = new Map([
  [DIM.DIMLESS, '1'],
  [DIM.PERCENT, '%'],
  [DIM.CENTI_M, 'cm'],
  [DIM.KILO_G, 'kg'],
  [DIM.LB, '[lb_av]'],
  [DIM.KG_PER_M_SQ, 'kg/m2'],
  [DIM.MILLI_G_PER_DL, 'mg/dL'],
  [DIM.BEAT_PER_MIN, '/min'],
  [DIM.KILO_PASCAL, 'kPa'],
  [DIM.MMHG, 'mm[Hg]'],
  [DIM.FAHR, '[degF]'],
  [DIM.MILLI_MOLE_PER_L, 'mmol/L'],
  [DIM.DEGC, 'Cel'],
]);
