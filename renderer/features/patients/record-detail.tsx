import { Fragment, useId } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import type { CodedConcept } from '../../../shared/domain/clinical';
import type { RecordRow, ViewRecord } from '../../vault/vault-service';
import { FlagMarks } from './flag-marks';
import {
  abnormalFlags,
  allergenTypeLabel,
  completionLabel,
  diagnosisTypeLabel,
  immunizationActionLabel,
  mappingLabel,
  orderControlLabel,
  orderStatusLabel,
  patientClassLabel,
  priorityLabel,
  recordDateTime,
  localDateTime,
  timeIsReceipt,
  undatedText,
  recordName,
  recordTypeLabel,
  recordValue,
  reportStatusLabel,
  severityLabel,
} from './record-format';
import { resultStatusLabel, resultStatusOf } from './result-status';
import { Fact } from '../../app/fact';
import { useDocumentTitle } from '../../app/use-document-title';
import { FormattedText } from './formatted-text';
import { ResultHistory } from './result-history';
import { PatientIdentity } from './patient-identity';
import { unitLabel } from './ucum-units';
import type { INTAKE_RECORD_CHANNELS } from '../../../shared/domain/clinical';

/** Every channel a record can name (a new one fails to compile here until it has words). */
const CHANNEL_WORDS: Readonly<Record<(typeof INTAKE_RECORD_CHANNELS)[number], string>> = {
  demo: 'Demo data',
  'hl7-mllp': 'HL7 v2 over MLLP',
  'hl7-file': 'HL7 v2 file import',
  'hl7-reprocess': 'HL7 v2, reprocessed from the quarantine by an operator',
  dicom: 'DICOM',
  devices: 'Devices (IEEE 11073)',
};

/** Every field of one record, with where it came from. Opening it is journaled as an access. */
export function RecordDetail({ patientId, recordId }: { patientId: string; recordId: string }) {
  const vault = useVault();
  const row = useVaultRead(`record:${recordId}`, () => vault.openRecord(recordId));
  useDocumentTitle(row.phase === 'ready' ? `${recordTypeLabel(row.value.record)}: ${recordName(row.value.record)} – Patient record` : 'Patient record');
  return (
    <>
      <p className="breadcrumb">
        <a href={hrefForPath('patients', patientId)}>← Back to the patient</a>
      </p>
      {/* Whose record this is, as every page of a chart says (QA s32 #3). */}
      <PatientIdentity patientId={patientId} />
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
      {row.phase === 'ready' && row.value.record.type === 'observation' && <ResultVersions patientId={patientId} row={row.value} />}
    </>
  );
}

/** The result's other versions (what replaced, withdrew or deleted it, and back), read from the patient's results. */
function ResultVersions({ patientId, row }: { patientId: string; row: RecordRow }) {
  const vault = useVault();
  const results = useVaultRead(`patient-results:${patientId}`, () => vault.patientResults(patientId));
  if (results.phase === 'failed') {
    return (
      <p role="alert" className="note note--error">
        The other versions of this result could not be read: {vaultErrorMessage(results.error)}
      </p>
    );
  }
  return results.phase === 'ready' ? <ResultHistory row={row} results={results.value} /> : null;
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
            {row.time === '' ? (
              'Not recorded'
            ) : timeIsReceipt(record) ? (
              // No date of its own: the message's receive time is when it was recorded, in this computer's zone (T1 D6).
              <>
                {undatedText(record)}; recorded on <time dateTime={row.time}>{localDateTime(row.time)}</time>
              </>
            ) : (
              <time dateTime={row.time}>{recordDateTime(row.time)}</time>
            )}
          </Fact>
          <Fact term="Type">{recordTypeLabel(record)}</Fact>
          <RecordFacts record={record} />
        </dl>
      </section>
      {(record.type === 'observation' || record.type === 'report') && record.comments !== undefined && record.comments.length > 0 && (
        <Comments comments={record.comments} of={record.type === 'report' ? 'report' : 'result'} />
      )}
      {record.type === 'report' && record.text !== undefined && record.text !== '' && <ReportText text={record.text} />}
      <section className="panel" aria-labelledby={sourceId}>
        <h2 id={sourceId}>Source</h2>
        <dl className="facts">
          <Fact term="Message type">{row.source.messageType}</Fact>
          <Fact term="Channel">{CHANNEL_WORDS[row.source.channel as keyof typeof CHANNEL_WORDS] ?? row.source.channel}</Fact>
          {row.source.messageId !== undefined && (
            <Fact term="Message control id">
              <code>{row.source.messageId}</code>
            </Fact>
          )}
          {row.source.mapping !== undefined && <Fact term="Mapping">{mappingLabel(row.source.mapping)}</Fact>}
          {row.source.conflict === true && (
            <Fact term="Conflict">The same sender and control id arrived earlier with other content.</Fact>
          )}
          <Fact term="Journal sequence">{row.source.seq}</Fact>
          <Fact term="Record id">
            <code className="path">{row.recordId}</code>
          </Fact>
        </dl>
        {row.source.hasRaw === true && (
          <p className="form-actions">
            <a className="button" href={hrefForPath('patients', row.patientId, 'records', row.recordId, 'raw')}>
              View raw message
            </a>
          </p>
        )}
      </section>
    </>
  );
}

/** The NTE comments sent with a result or a report, one per NTE, HL7 formatting read for display (QA s32 #3: "Critical value called to…" was only under "By report"). */
function Comments({ comments, of }: { comments: readonly string[]; of: 'result' | 'report' }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{of === 'result' ? 'Comments on this result' : 'Comments on this report'}</h2>
      {comments.map((comment, i) => (
        <p key={i} className="note">
          <FormattedText text={comment} />
        </p>
      ))}
    </section>
  );
}

function ReportText({ text }: { text: string }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Report text</h2>
      <pre className="report-text">{text}</pre>
    </section>
  );
}

function optional(value: string | undefined, label: (value: string) => string = (v) => v): string {
  return value === undefined || value === '' ? 'Not recorded' : label(value);
}

function CodeFacts({ term, concept }: { term: string; concept: CodedConcept }) {
  return (
    <>
      <Fact term={term}>{concept.display === '' ? concept.code : concept.display}</Fact>
      <Fact term="Code">
        <code>{concept.code}</code>
        {concept.system === '' ? '' : ` (${concept.system})`}
      </Fact>
    </>
  );
}

function RecordFacts({ record }: { record: ViewRecord }) {
  switch (record.type) {
    case 'observation':
      return (
        <>
          <Fact term="Name">{record.code.display}</Fact>
          <Fact term="Code">
            <code>{record.code.code}</code>
          </Fact>
          <Fact term="Code system">{record.code.system}</Fact>
          <Fact term="Value">{recordValue(record)}</Fact>
          {record.valueType !== undefined && <Fact term="Value type">{record.valueType}</Fact>}
          {record.value.kind === 'coded' && record.valueDetail?.kind !== 'coded-list' && (
            <Fact term="Value code">
              <code>{record.value.value.code}</code> ({record.value.value.system})
            </Fact>
          )}
          {record.valueDetail?.kind === 'coded-list' && (
            <Fact term="Value codes">
              {record.valueDetail.values.map((concept, index) => (
                <Fragment key={index}>
                  {index > 0 && '; '}
                  <code>{concept.code}</code> ({concept.system})
                </Fragment>
              ))}
            </Fact>
          )}
          {record.value.kind === 'numeric' && (
            <Fact term="Unit">{record.value.unit === undefined || record.value.unit === '' ? 'None' : unitLabel(record.value.unit) === record.value.unit ? record.value.unit : `${unitLabel(record.value.unit)} (UCUM ${record.value.unit})`}</Fact>
          )}
          <Fact term="Reference range">{record.referenceRange ?? 'Not given'}</Fact>
          <Fact term="Flags">{abnormalFlags(record).length === 0 ? 'None' : <FlagMarks flags={abnormalFlags(record)} />}</Fact>
          {/* OBX-11 as sent, in table 0085's words (T1 D1: an X read "Cannot be done (shown as preliminary)"). */}
          <Fact term="Status">{resultStatusLabel(resultStatusOf(record))}</Fact>
          {record.orderId !== undefined && <Fact term="Order">{record.orderId}</Fact>}
          <Fact term="Observed">
            <time dateTime={record.time}>{recordDateTime(record.time)}</time>
          </Fact>
        </>
      );
    case 'visit':
      return (
        <>
          <Fact term="Patient class">{patientClassLabel(record.patientClass)}</Fact>
          <Fact term="Location">{record.location ?? 'Not recorded'}</Fact>
          <Fact term="Attending doctor">{record.attendingDoctor ?? 'Not recorded'}</Fact>
          <Fact term="Reason">{record.reason ?? 'Not recorded'}</Fact>
          <Fact term="Start">
            <time dateTime={record.start}>{recordDateTime(record.start)}</time>
          </Fact>
          <Fact term="End">{record.end === undefined ? 'Not recorded' : <time dateTime={record.end}>{recordDateTime(record.end)}</time>}</Fact>
        </>
      );
    case 'report':
      return (
        <>
          <CodeFacts term={record.kind === 'document' ? 'Document type' : 'Service'} concept={record.code} />
          <Fact term="Status">{optional(record.status, reportStatusLabel)}</Fact>
          <Fact term={record.kind === 'document' ? 'Author' : 'Interpreter'}>{optional(record.author)}</Fact>
          {record.placerOrderId !== undefined && <Fact term="Placer order number">{record.placerOrderId}</Fact>}
          {record.fillerOrderId !== undefined && <Fact term="Filler order number">{record.fillerOrderId}</Fact>}
          {record.documentId !== undefined && <Fact term="Document number">{record.documentId}</Fact>}
          {record.observationCount !== undefined && <Fact term="Results">{record.observationCount}</Fact>}
        </>
      );
    case 'order':
      return (
        <>
          <CodeFacts term="Ordered" concept={record.code} />
          <Fact term="Order control">{orderControlLabel(record.control)}</Fact>
          <Fact term="Order status">{optional(record.status, orderStatusLabel)}</Fact>
          <Fact term="Priority">{optional(record.priority, priorityLabel)}</Fact>
          <Fact term="Ordering provider">{optional(record.orderingProvider)}</Fact>
          {record.placerOrderId !== undefined && <Fact term="Placer order number">{record.placerOrderId}</Fact>}
          {record.fillerOrderId !== undefined && <Fact term="Filler order number">{record.fillerOrderId}</Fact>}
        </>
      );
    case 'allergy':
      return (
        <>
          <CodeFacts term="Allergen" concept={record.allergen} />
          <Fact term="Allergen type">{optional(record.allergenType, allergenTypeLabel)}</Fact>
          <Fact term="Severity">{optional(record.severity, severityLabel)}</Fact>
          <Fact term="Reactions">{record.reactions === undefined || record.reactions.length === 0 ? 'Not recorded' : record.reactions.join(', ')}</Fact>
          <Fact term="Identified">{record.identified ?? 'No onset date recorded'}</Fact>
        </>
      );
    case 'diagnosis':
      return (
        <>
          <CodeFacts term="Diagnosis" concept={record.code} />
          <Fact term="Diagnosis type">{optional(record.diagnosisType, diagnosisTypeLabel)}</Fact>
        </>
      );
    case 'immunization':
      return (
        <>
          <CodeFacts term="Vaccine" concept={record.vaccine} />
          <Fact term="Dose">{recordValue({ ...record, completionStatus: 'CP' }) || 'Not recorded'}</Fact>
          <Fact term="Lot numbers">{record.lotNumbers === undefined || record.lotNumbers.length === 0 ? 'Not recorded' : record.lotNumbers.join(', ')}</Fact>
          <Fact term="Manufacturer">{optional(record.manufacturer)}</Fact>
          <Fact term="Completion status">{optional(record.completionStatus, completionLabel)}</Fact>
          <Fact term="Action">{optional(record.action, immunizationActionLabel)}</Fact>
        </>
      );
  }
}
