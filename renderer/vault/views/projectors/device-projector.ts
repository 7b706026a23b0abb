import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { DeviceAssignmentMetaSchema, DeviceIntakeMetaSchema, type DeviceIntakeMeta } from '../../../../shared/journal/device-meta';
import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { encryptMany } from '../../vault-crypto';
import type { DeviceReportRowStored, DeviceSessionRow } from '../vault-db';
import type { JournalProjector, ProjectorContext, ProjectorStep } from './journal-projector';

/** The journal kind of a device report (the body's devices channel). */
export const DEVICE_KIND = 'intake.device';

/**
 * `intake.device` → one `deviceReports` row per event report: in clear only what finds it (seq,
 * receive time, the device's system id and session, approval, how many readings); the readings,
 * the device's model and the report's notes are encrypted with the view key. A device awaiting
 * approval gets its row too (`approval: 'pending'`): the Devices area holds it until an admin
 * decides, and nothing of it reaches a patient's chart. `device.assigned` (a mind event, its
 * authenticator checked by the replay) → a `deviceSessions` row: the session's patient.
 */
export const deviceProjector: JournalProjector = {
  name: 'devices',
  kinds: [DEVICE_KIND, MIND_KINDS.deviceAssigned],
  tables: (db) => [db.deviceReports, db.deviceSessions],
  startPage(context) {
    const rows: DeviceReportRowStored[] = [];
    const sessions = new Map<string, DeviceSessionRow>();
    return {
      async decode(record, meta): Promise<ProjectorStep> {
        if (record.kind === MIND_KINDS.deviceAssigned) {
          const assignment = DeviceAssignmentMetaSchema.safeParse(meta);
          if (!assignment.success) return 'problem';
          const { session, personId, patientId } = assignment.data;
          const row: DeviceSessionRow = { key: personId === undefined ? session : `${session}/${personId}`, session, personId: personId ?? null, patientId, seq: record.seq, at: assignment.data.at };
          return { apply: () => sessions.set(row.key, row) };
        }
        const parsed = DeviceIntakeMetaSchema.safeParse(meta);
        if (!parsed.success) return 'problem';
        const row = await deviceRowOf(context, record, parsed.data);
        return { apply: () => rows.push(row) };
      },
      async write(db) {
        if (rows.length > 0) await db.deviceReports.bulkPut(rows);
        if (sessions.size > 0) await db.deviceSessions.bulkPut([...sessions.values()]);
      },
    };
  },
};

async function deviceRowOf(context: ProjectorContext, record: JournalRecord, meta: DeviceIntakeMeta): Promise<DeviceReportRowStored> {
  const [enc] = await encryptMany(context.keys.viewKey, [{ table: 'deviceReports', id: String(record.seq), value: { device: meta.device, port: meta.port, report: meta.report, readings: meta.readings } }]);
  return {
    seq: record.seq,
    at: meta.receivedAt,
    systemId: meta.device.systemId,
    session: meta.session,
    approval: meta.approval,
    readings: meta.readings.length,
    enc: enc!,
  };
}
