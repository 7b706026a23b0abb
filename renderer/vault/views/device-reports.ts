import { z } from 'zod';
import { DeviceInfoSchema, DeviceReadingSchema } from '../../../shared/journal/device-meta';
import { decryptField } from '../vault-crypto';
import type { DeviceReportRowStored, VaultDb } from './vault-db';

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
}

/** The latest device reports (newest first), opened with the view key. */
export async function recentDeviceReports(db: VaultDb, viewKey: CryptoKey, options: { limit?: number; systemId?: string } = {}): Promise<DeviceReport[]> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 1000);
  const rows =
    options.systemId === undefined
      ? await db.deviceReports.orderBy('seq').reverse().limit(limit).toArray()
      : (await db.deviceReports.where('systemId').equals(options.systemId).reverse().sortBy('seq')).slice(0, limit);
  const out: DeviceReport[] = [];
  for (const row of rows) {
    const detail = DeviceReportDetailSchema.parse(await decryptField(viewKey, { table: 'deviceReports', id: String(row.seq) }, row.enc));
    out.push({ seq: row.seq, at: row.at, session: row.session, approval: row.approval, ...detail });
  }
  return out;
}
