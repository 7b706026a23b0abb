import { z } from 'zod';
import { READING_FLAGS, READING_KINDS } from '../domain/device-readings';

/**
 * The sealed `meta` of an `intake.device` record: one event report of an IEEE 11073 agent, as the
 * body's device manager read it, sealed to the vault's intake key (the raw APDU is the record's
 * object). No patient: a device knows none; staff assign a device session to a patient in the
 * mind, and an MP report's person id maps to a patient once assigned.
 */

const text = (max: number) => z.string().max(max);
const isoDateTime = z.iso.datetime({ offset: true });
const u16 = z.number().int().min(0).max(0xffff);

export const DeviceReadingSchema = z.strictObject({
  /** MDC code (partition SCADA) of the measurement. */
  code: u16,
  kind: z.enum(READING_KINDS),
  /** MP reports: the agent's person id. */
  personId: u16.optional(),
  /** 'value', or the special value the device sent instead of a number (never stored as one). */
  status: z.enum(['value', 'NaN', 'NRes', '+INF', '-INF', 'reserved']),
  /** As sent, in `unit` (absent for a special value). */
  value: z.number().finite().optional(),
  /** UCUM of `value` (absent when the device's unit has no UCUM mapping). */
  unit: text(32).optional(),
  /** The device's MDC unit code. */
  unitCode: u16.optional(),
  /** In the measurement's canonical UCUM unit (mm[Hg], kg, Cel, mg/dL…). */
  normalizedValue: z.number().finite().optional(),
  normalizedUnit: text(32).optional(),
  /** The device's Absolute-Time as sent (local wall clock, no zone), when it sent a valid one. */
  deviceTime: text(32).optional(),
  /** When the reading was taken: the device time (read in this workstation's zone) or, failing that, the receive time. */
  time: isoDateTime,
  flags: z.array(z.enum(READING_FLAGS)).max(READING_FLAGS.length),
  quality: z.number().min(0).max(1),
  /** SHA-256 (hex) of system id + device time + code: duplicate recognition across sessions. */
  dedupeKey: text(64),
});
export type DeviceReading = z.infer<typeof DeviceReadingSchema>;

export const DeviceInfoSchema = z.strictObject({
  /** EUI-64, hex. */
  systemId: z.string().regex(/^[0-9a-f]{16}$/),
  devConfigId: u16,
  manufacturer: text(64).optional(),
  model: text(64).optional(),
  serialNumber: text(64).optional(),
});
export type DeviceInfo = z.infer<typeof DeviceInfoSchema>;

/**
 * `session`: one association (a connection's session with one agent); `port`: where it came from
 * (`serial:/dev/ttyUSB0`, `tcp:127.0.0.1:50412`); `approval`: whether the device was on the
 * approved list when the report came (pending ones are kept sealed, not indexed).
 */
export const DeviceIntakeMetaSchema = z.object({
  v: z.literal(1),
  channel: z.literal('devices'),
  receivedAt: isoDateTime,
  objectId: text(128),
  rawBytes: z.number().int().nonnegative(),
  session: text(64),
  port: text(300),
  device: DeviceInfoSchema,
  approval: z.enum(['approved', 'pending', 'rejected']),
  report: z.object({ invokeId: u16, eventType: u16, confirmed: z.boolean(), notes: z.array(text(300)).max(100) }),
  readings: z.array(DeviceReadingSchema).max(5000),
});
export type DeviceIntakeMeta = z.infer<typeof DeviceIntakeMetaSchema>;

/** What the body writes (the schema's input shape: one definition for both halves). */
export type DeviceIntakeMetadataV1 = Readonly<z.input<typeof DeviceIntakeMetaSchema>>;

/**
 * `device.assigned` (a mind event): the readings of one device session (an association) belong to
 * a patient, as the staff member at the workstation chose; with `personId`, only an MP report's
 * readings of that person. A later assignment of the same session (and person) replaces it.
 */
export const DeviceAssignmentMetaSchema = z.strictObject({
  v: z.literal(1),
  session: text(64),
  /** The patient's view id. */
  patientId: z.string().min(1).max(128),
  personId: u16.optional(),
  at: isoDateTime,
});
export type DeviceAssignmentMeta = z.infer<typeof DeviceAssignmentMetaSchema>;

/**
 * `settings.deviceApproval` (a mind event): an administrator approved or rejected a device (or every
 * device of a system-id prefix) on the body's approved-devices list. Being a `settings.*` event it
 * becomes a signed SETTINGS_CHANGE ledger entry; the body's list (`devices.decide`) is what takes effect.
 */
export const DeviceDecisionMetaSchema = z.strictObject({
  v: z.literal(1),
  systemIdPrefix: z.string().regex(/^[0-9a-f]{2,16}$/),
  decision: z.enum(['approved', 'rejected']),
  manufacturer: text(64).optional(),
  model: text(64).optional(),
  at: isoDateTime,
});
export type DeviceDecisionMeta = z.infer<typeof DeviceDecisionMetaSchema>;
