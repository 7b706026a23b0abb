import { z } from 'zod';
import { event, method } from './method';

/**
 * `devices.*`: the IEEE 11073-20601 manager's serial ports and connections (the body owns the
 * ports; the mind asks), and the approved-devices list. Nothing here carries a reading: readings
 * are sealed `intake.device` journal records the mind opens (shared/journal/device-meta.ts).
 */

const text = (max: number) => z.string().max(max);
const systemId = z.string().regex(/^[0-9a-f]{16}$/, 'A system id is 16 hex digits (EUI-64).');
/** A system id or the first hex digits of one (a manufacturer's OUI prefix approves its devices). */
const systemIdPrefix = z.string().regex(/^[0-9a-f]{2,16}$/, 'A system id prefix is 2 to 16 hex digits.');
/** A serial port path as the OS names it (/dev/ttyUSB0, /dev/pts/3, COM3). */
const portPath = z.string().min(1).max(200).regex(/^[^\0]+$/);

export const SERIAL_BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;

export const SerialSettingsSchema = z.strictObject({
  baudRate: z.union(SERIAL_BAUD_RATES.map((b) => z.literal(b))).default(9600),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  /** Data Terminal Ready / Request To Send asserted after opening (some USB-serial cradles power the device from them). */
  dtr: z.boolean().default(true),
  rts: z.boolean().default(true),
});
export type SerialSettings = z.output<typeof SerialSettingsSchema>;

export const DevicePortSchema = z.strictObject({
  path: portPath,
  /** open: the manager listens on it; opening; closed (with the reason when it closed by itself: unplugged, error). */
  state: z.enum(['opening', 'open', 'closed']),
  reason: text(300).optional(),
  settings: SerialSettingsSchema.optional(),
});

export const DeviceConnectionSchema = z.strictObject({
  id: text(64),
  /** `serial:/dev/ttyUSB0`, `tcp:127.0.0.1:50412`. */
  port: text(300),
  /** The 20601 manager state (disconnected, unassociated, waiting-for-config, operating, disassociating). */
  state: text(32),
  systemId: systemId.optional(),
  devConfigId: z.number().int().min(0).max(0xffff).optional(),
  manufacturer: text(64).optional(),
  model: text(64).optional(),
  serialNumber: text(64).optional(),
  approval: z.enum(['approved', 'pending', 'rejected']).optional(),
  /** Reports stored in this session, and when the last one became durable. */
  reports: z.number().int().nonnegative(),
  lastReportAt: z.iso.datetime({ offset: true }).optional(),
  /** Protocol errors quarantined in this session. */
  protocolErrors: z.number().int().nonnegative(),
});

export const ApprovedDeviceSchema = z.strictObject({
  systemIdPrefix,
  manufacturer: text(64).optional(),
  model: text(64).optional(),
  decision: z.enum(['approved', 'rejected']),
  decidedAt: z.iso.datetime({ offset: true }),
});
export type ApprovedDevice = z.infer<typeof ApprovedDeviceSchema>;

export const DevicesStatusSchema = z.strictObject({
  ports: z.array(DevicePortSchema).max(64),
  connections: z.array(DeviceConnectionSchema).max(256),
  /** The TCP listener for gateways and tests, when configured. */
  tcp: z.strictObject({ address: text(64), port: z.number().int().min(0).max(65535) }).nullable(),
  /** Devices seen that are on no list yet (awaiting an admin's decision), by system id. */
  awaitingApproval: z.array(z.strictObject({ systemId, manufacturer: text(64).optional(), model: text(64).optional(), firstSeenAt: z.iso.datetime({ offset: true }) })).max(256),
});
export type DevicesStatus = z.infer<typeof DevicesStatusSchema>;

export const devicesMethods = {
  /** Ports, connections (with the agent's model and system id once known), and devices awaiting approval. */
  'devices.status': method(z.strictObject({}), DevicesStatusSchema),
  /** The serial ports the OS lists (a failing listing says why: ports can still be added by path). */
  'devices.listPorts': method(
    z.strictObject({}),
    z.strictObject({
      ports: z.array(z.strictObject({ path: portPath, manufacturer: text(200).optional(), serialNumber: text(200).optional(), vendorId: text(16).optional(), productId: text(16).optional() })).max(256),
      error: text(300).optional(),
    }),
  ),
  /** Opens a serial port (listed or not: a pty, a socat link) with its line settings; the manager waits for an agent on it. */
  'devices.openPort': method(z.strictObject({ path: portPath, settings: SerialSettingsSchema.optional() }), DevicesStatusSchema),
  /** Closes a port: an association on it is released first when it can be. */
  'devices.closePort': method(z.strictObject({ path: portPath }), DevicesStatusSchema),
  /** The approved (and rejected) devices. */
  'devices.approvals': method(z.strictObject({}), z.strictObject({ devices: z.array(ApprovedDeviceSchema).max(10_000) })),
  /** Approves or rejects a device (or every device whose system id starts with a prefix). */
  'devices.decide': method(
    z.strictObject({ systemIdPrefix, decision: z.enum(['approved', 'rejected']), manufacturer: text(64).optional(), model: text(64).optional() }),
    z.strictObject({ devices: z.array(ApprovedDeviceSchema).max(10_000) }),
  ),
  /** Removes a decision (the device is awaiting approval again when it next associates). */
  'devices.forget': method(z.strictObject({ systemIdPrefix }), z.strictObject({ devices: z.array(ApprovedDeviceSchema).max(10_000) })),
} as const;

export const devicesEvents = {
  /** Ports or connections changed (a device associated, a report was stored, a port unplugged). */
  'devices.changed': event(DevicesStatusSchema),
} as const;
