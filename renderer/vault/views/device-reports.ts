import { z } from 'zod';
import { DeviceInfoSchema, DeviceReadingSchema } from '../../../shared/journal/device-meta';
import { decryptField } from '../vault-crypto';
import type { DeviceReportRowStored, DeviceSessionRow, VaultDb } from './vault-db';

/** What a `deviceReports` row's encrypted part holds (device-projector.ts). */
const DeviceReportDetailSchema = z.object({
  device: DeviceInfoSchema,
  port: z.string().max(300),
  report: z.object({ invokeId: z.number(), eventType: z.number(), confirmed: z.boolean(), notes: z.array(z.string().max(300)).max(100) }),
  readings: z.array(DeviceReadingSchema).max(5000),
});

export type DeviceReportDetail = z.infer<typeof DeviceReportDetailSchema>;

export interface DeviceReport extends DeviceReportDetail {
  readonly seq: number;
  readonly at: string;
  readonly session: string;
  readonly approval: DeviceReportRowStored['approval'];
  /** The patient the session is assigned to (an MP report: its first person's, when assigned per person); null: in the Devices inbox. */
  readonly patientId: string | null;
  /** Each reading's patient (an MP report's persons may be assigned apart), parallel to `readings`. */
  readonly readingPatients: readonly (string | null)[];
}

/** The patient of a session (a per-person assignment wins over the session's). */
async function assignments(db: VaultDb, sessionIds: readonly string[]): Promise<Map<string, DeviceSessionRow>> {
  const rows = await db.deviceSessions.where('session').anyOf([...new Set(sessionIds)]).toArray();
  return new Map(rows.map((row) => [row.key, row]));
}

function patientOf(map: ReadonlyMap<string, DeviceSessionRow>, session: string, personId: number | undefined): string | null {
  return (personId === undefined ? undefined : map.get(`${session}/${personId}`))?.patientId ?? map.get(session)?.patientId ?? null;
}

async function opened(db: VaultDb, viewKey: CryptoKey, rows: readonly DeviceReportRowStored[]): Promise<DeviceReport[]> {
  const map = await assignments(db, rows.map((row) => row.session));
  const out: DeviceReport[] = [];
  for (const row of rows) {
    const detail = DeviceReportDetailSchema.parse(await decryptField(viewKey, { table: 'deviceReports', id: String(row.seq) }, row.enc));
    const readingPatients = detail.readings.map((reading) => patientOf(map, row.session, reading.personId));
    out.push({ seq: row.seq, at: row.at, session: row.session, approval: row.approval, ...detail, patientId: readingPatients[0] ?? patientOf(map, row.session, undefined), readingPatients });
  }
  return out;
}

/**
 * A patient's device reports (sessions assigned to them), oldest first: only approved devices'
 * (a device awaiting approval keeps its readings off every chart until it is approved:
 * `decisionOf` gives the administrators' decision now), and of an MP report only the readings of
 * the person assigned to this patient.
 */
export async function patientDeviceReports(db: VaultDb, viewKey: CryptoKey, patientId: string, decisionOf: (systemId: string) => 'approved' | 'rejected' | 'pending' = () => 'pending'): Promise<DeviceReport[]> {
  const assigned = await db.deviceSessions.where('patientId').equals(patientId).toArray();
  if (assigned.length === 0) return [];
  const rows = await db.deviceReports.where('session').anyOf([...new Set(assigned.map((a) => a.session))]).sortBy('seq');
  // Approved when it came, or approved since (an administrator's decision now); a device rejected now stays off.
  const approved = (row: DeviceReportRowStored) => {
    const now = decisionOf(row.systemId);
    return now === 'approved' || (row.approval === 'approved' && now !== 'rejected');
  };
  const reports = await opened(db, viewKey, rows.filter(approved));
  const map = await assignments(db, reports.map((r) => r.session));
  return reports
    .map((report) => {
      const keep = report.readings.map((reading) => patientOf(map, report.session, reading.personId) === patientId);
      return { ...report, readings: report.readings.filter((_, i) => keep[i]), readingPatients: report.readingPatients.filter((_, i) => keep[i]) };
    })
    .filter((report) => report.readings.length > 0);
}

/** The latest device reports (newest first), opened with the view key. */
export async function recentDeviceReports(db: VaultDb, viewKey: CryptoKey, options: { limit?: number; systemId?: string } = {}): Promise<DeviceReport[]> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 1000);
  const rows =
    options.systemId === undefined
      ? await db.deviceReports.orderBy('seq').reverse().limit(limit).toArray()
      : (await db.deviceReports.where('systemId').equals(options.systemId).reverse().sortBy('seq')).slice(0, limit);
  return opened(db, viewKey, rows);
}
