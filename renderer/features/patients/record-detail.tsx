import { useId, type ReactNode } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import type { RecordRow } from '../../vault/vault-service';
import { FlagMarks } from './flag-marks';
import {
  abnormalFlags,
  patientClassLabel,
  recordDateTime,
  recordName,
  recordTypeLabel,
  recordValue,
  statusLabel,
} from './record-format';

const CHANNEL_WORDS: Readonly<Record<string, string>> = {
  demo: 'Demo data',
  'hl7-mllp': 'HL7 v2 over MLLP',
  'hl7-file': 'HL7 v2 file import',
  dicom: 'DICOM',
  devices: 'Devices (IEEE 11073)',
};

/** Every field of one record, with where it came from. Opening it is journaled as an access. */
export function RecordDetail({ patientId, recordId }: { patientId: string; recordId: string }) {
  const vault = useVault();
  const row = useVaultRead(`record:${recordId}`, () => vault.openRecord(recordId));
  return (
    <>
      <p className="breadcrumb">
        <a href={hrefForPath('patients', patientId)}>← Back to the patient</a>
      </p>
      {row.phase === 'loading' && <p role="status">Opening the record…</p>}
      {row.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>The record could not be opened: {vaultErrorMessage(row.error)}</p>
          <button type="button" className="button" onClick={row.reload}>
            Retry
          </button>
        </div>
      )}
      {row.phase === 'ready' && <RecordFields row={row.value} />}
    </>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="facts__row">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function RecordFields({ row }: { row: RecordRow }) {
  const headingId = useId();
  const sourceId = useId();
  const { record } = row;
  return (
    <>
      <section className="panel" aria-labelledby={headingId}>
        <h2 id={headingId}>
          {recordTypeLabel(record)}: {recordName(record)}
        </h2>
        <dl className="facts">
          <Fact term="Time">
            <time dateTime={row.time}>{recordDateTime(row.time)}</time>
          </Fact>
          <Fact term="Type">{recordTypeLabel(record)}</Fact>
          {record.type === 'observation' ? (
            <>
              <Fact term="Name">{record.code.display}</Fact>
              <Fact term="Code">
                <code>{record.code.code}</code>
              </Fact>
              <Fact term="Code system">{record.code.system}</Fact>
              <Fact term="Value">{recordValue(record)}</Fact>
              {record.value.kind === 'coded' && (
                <Fact term="Value code">
                  <code>{record.value.value.code}</code> ({record.value.value.system})
                </Fact>
              )}
              {record.value.kind === 'numeric' && <Fact term="Unit">{record.value.unit ?? 'None'}</Fact>}
              <Fact term="Reference range">{record.referenceRange ?? 'Not given'}</Fact>
              <Fact term="Flags">
                {abnormalFlags(record).length === 0 ? 'None' : <FlagMarks flags={abnormalFlags(record)} />}
              </Fact>
              <Fact term="Status">{statusLabel(record.status)}</Fact>
              <Fact term="Observed">
                <time dateTime={record.time}>{recordDateTime(record.time)}</time>
              </Fact>
            </>
          ) : (
            <>
              <Fact term="Patient class">{patientClassLabel(record.patientClass)}</Fact>
              <Fact term="Location">{record.location ?? 'Not recorded'}</Fact>
              <Fact term="Attending doctor">{record.attendingDoctor ?? 'Not recorded'}</Fact>
              <Fact term="Reason">{record.reason ?? 'Not recorded'}</Fact>
              <Fact term="Start">
                <time dateTime={record.start}>{recordDateTime(record.start)}</time>
              </Fact>
              <Fact term="End">
                {record.end === undefined ? 'Not recorded' : <time dateTime={record.end}>{recordDateTime(record.end)}</time>}
              </Fact>
            </>
          )}
        </dl>
      </section>
      <section className="panel" aria-labelledby={sourceId}>
        <h2 id={sourceId}>Source</h2>
        <dl className="facts">
          <Fact term="Message type">{row.source.messageType}</Fact>
          <Fact term="Channel">{CHANNEL_WORDS[row.source.channel] ?? row.source.channel}</Fact>
          <Fact term="Journal sequence">{row.source.seq}</Fact>
          <Fact term="Record id">
            <code className="path">{row.recordId}</code>
          </Fact>
        </dl>
      </section>
    </>
  );
}
