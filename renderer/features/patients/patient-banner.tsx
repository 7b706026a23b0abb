import type { ReactNode } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import type { PatientDetail, RecordRow } from '../../vault/vault-service';
import { bannerIdentifierLabel, patientName, recordDay, severityLabel, sexLabel, visitClassLabel } from './record-format';
import { ageLabel, allergiesOf, lastVisitOf } from './results-model';

/** Today as the clinic's calendar shows it (this computer's local date). */
function localToday(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/**
 * "52 y, Female (born 1962-07-14)", "2 mo, …" for an infant; what is not recorded says so.
 * `birthDateSent`: a PID-7 that is not a valid HL7 date, as sent: said, never read as an age
 * ("Age unknown, Female (birth date: not a valid date (sent: 1945XX17))"), and beside a valid birth
 * date an earlier message gave, said as a later message's.
 */
export function ageSexLabel(birthDate: string | undefined, sex: string | undefined, today = localToday(), birthDateSent?: string): string {
  // A birth date after today gives no age; say why rather than "not recorded" beside it (QA2-11 Q7).
  const future = birthDate !== undefined && birthDate > today.slice(0, birthDate.length);
  const invalid = birthDateSent === undefined || birthDateSent === '' ? undefined : `not a valid date (sent: ${birthDateSent})`;
  const agePart = ageLabel(birthDate, today) ?? (future ? 'Birth date in the future' : invalid !== undefined && birthDate === undefined ? 'Age unknown' : 'Age not recorded');
  const sexPart = sex === undefined || sex === '' ? 'sex not recorded' : sexLabel(sex);
  const born = birthDate === undefined ? (invalid === undefined ? '' : ` (birth date: ${invalid})`) : ` (born ${birthDate}${invalid === undefined ? '' : `; a later message sent a birth date that is ${invalid}`})`;
  return `${agePart}, ${sexPart}${born}`;
}

/**
 * The banner's allergies line: each allergen once, the most severe first, highlighted when there is
 * any, each linked to its record ("None recorded" is not "no known allergies"). The record and raw
 * message pages show the same line under the patient's name (patient-identity.tsx).
 */
export function BannerAllergies({ patientId, records }: { patientId: string; records: readonly RecordRow[] }) {
  const allergies = allergiesOf(records);
  return (
      <div className={allergies.length > 0 ? 'patient-banner__allergies patient-banner__allergies--present' : 'patient-banner__allergies'} role="group" aria-label="Allergies">
        <span className="patient-banner__label">Allergies</span>{' '}
        {allergies.length === 0 ? (
          <span>None recorded</span>
        ) : (
          <ul className="inline-list patient-banner__allergy-list">
            {allergies.map((row) => {
              const details = [row.record.severity === undefined ? '' : severityLabel(row.record.severity), ...(row.record.reactions ?? [])].filter((part) => part !== '');
              return (
                <li key={row.recordId}>
                  <a href={hrefForPath('patients', patientId, 'records', row.recordId)}>
                    <strong>{row.record.allergen.display || row.record.allergen.code}</strong>
                  </a>
                  {details.length > 0 && ` (${details.join(', ')})`}
                </li>
              );
            })}
          </ul>
        )}
      </div>
  );
}

/**
 * The patient banner (issue 11), as EHRs show it at the top of every chart: who (name, age and
 * sex, identifiers), what to be careful of (allergies, highlighted; "none recorded" is not
 * "no known allergies") and when they were last seen. `actions`: the page's buttons (erase).
 */
export function PatientBanner({ detail, headingId, actions }: { detail: PatientDetail; headingId: string; actions?: ReactNode }) {
  const { patient, records } = detail;
  const visit = lastVisitOf(records);
  return (
    <div className="patient-banner">
      <div className="patient-header__top">
        <div className="patient-banner__who">
          <h2 id={headingId} className="patient-header__name">
            {patientName(patient)}
          </h2>
          <p className="patient-banner__age">{ageSexLabel(patient.birthDate, patient.sex, undefined, patient.birthDateSent)}</p>
        </div>
        {actions}
      </div>
      <ul className="patient-banner__ids" aria-label={patient.identifiers.length === 1 ? 'Identifier' : 'Identifiers'}>
        {patient.identifiers.map((identifier) => (
          <li key={`${identifier.authority}|${identifier.type}|${identifier.value}`}>{bannerIdentifierLabel(identifier)}</li>
        ))}
      </ul>
      <BannerAllergies patientId={detail.patientId} records={records} />
      <p className="patient-banner__visit">
        <span className="patient-banner__label">Last visit</span>{' '}
        {visit === null ? (
          'None recorded'
        ) : (
          <a href={hrefForPath('patients', detail.patientId, 'records', visit.recordId)}>
            <time dateTime={visit.time}>{recordDay(visit.time)}</time>, {visitClassLabel(visit.record.patientClass)}
            {visit.record.location === undefined ? '' : `, ${visit.record.location}`}
            {visit.record.reason === undefined ? '' : ` (${visit.record.reason})`}
          </a>
        )}
      </p>
    </div>
  );
}
