import { hrefForPath } from '../../app/router/hash-route';
import type { StudyListEntry, StudySummary } from '../../vault/vault-service';
import type { RecodedCopies } from '../../vault/views/imaging-rows';
import { transferSyntaxName } from './viewer/decode/transfer-syntax';
import './study-table.css';

/** A DICOM date as the tables show it: the ISO date, or a dash when the instance gave none. */
export function studyDate(study: StudySummary): string {
  return study.study.date === '' ? '—' : study.study.date;
}

export function seriesLabel(study: StudySummary): string {
  const series = study.series.length === 1 ? '1 series' : `${study.series.length} series`;
  const images = study.instances === 1 ? '1 instance' : `${study.instances} instances`;
  return `${series}, ${images}`;
}

/** Said of a study whose Study Instance UID also holds images of another patient (QA explore-12 D0). */
export const SHARED_UID_NOTE = "Images with this study's UID were also received for another patient.";
/** What the viewer adds to SHARED_UID_NOTE. */
export const SHARED_UID_ADVICE = 'They are filed under that patient and not shown here; check the Patient ID sent by the modality.';

/**
 * Said of a study with `count` instances received again with other bytes under their SOP Instance
 * UID (a conflict, QA explore-12 D4): which copy is shown, and that the others can be opened
 * (however many: an image received three times has two earlier copies, QA round 4 D8c). Those
 * whose copies differ in their transfer syntax (`recoded`) are said to have come again in another
 * one, with the syntaxes, so a PACS administrator sees the same image re-encoded (QA s33 D3).
 */
export function otherCopiesNote(count: number, recoded?: RecodedCopies): string {
  const shown = count === 1 ? 'the latest copy is shown; the viewer opens every earlier copy too.' : 'the latest copies are shown; the viewer opens every earlier copy too.';
  if (recoded === undefined || recoded.instances === 0) {
    return count === 1 ? `1 image was received again with other bytes under its SOP Instance UID: ${shown}` : `${count} images were received again with other bytes under their SOP Instance UIDs: ${shown}`;
  }
  const names = (uids: readonly string[]) => uids.map(transferSyntaxName).join(', ');
  const earlier = recoded.oneEarlierEach ? (recoded.instances === 1 ? 'first copy' : 'first copies') : 'earlier copies';
  const syntaxes = `(${names(recoded.latest)}; ${earlier}: ${names(recoded.earlier)})`;
  if (recoded.instances >= count) {
    return count === 1
      ? `1 image was received again in another transfer syntax ${syntaxes} under its SOP Instance UID, so with other bytes: ${shown}`
      : `${count} images were received again in another transfer syntax ${syntaxes} under their SOP Instance UIDs, so with other bytes: ${shown}`;
  }
  return `${count} images were received again with other bytes under their SOP Instance UIDs, ${recoded.instances} of them in another transfer syntax ${syntaxes}: ${shown}`;
}

/**
 * Studies, newest first: date, modalities, description, accession number, series and instance
 * counts; with `withPatient`, the patient each is filed under (a link to the patient's page). The
 * description opens the study in the viewer; a study whose UID also holds another patient's images,
 * or with images received again with other bytes, says so under it.
 */
export function StudyTable({ studies, labelledBy, withPatient }: { studies: readonly (StudySummary | StudyListEntry)[]; labelledBy: string; withPatient: boolean }) {
  return (
    <div className="table-wrap">
      <table className="data-table study-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Study date</th>
            {withPatient && <th scope="col">Patient</th>}
            <th scope="col">Modality</th>
            <th scope="col">Description</th>
            <th scope="col">Accession</th>
            <th scope="col">Series</th>
          </tr>
        </thead>
        <tbody>
          {studies.map((study) => (
            <tr key={study.studyId}>
              <th scope="row">
                <time dateTime={study.study.date === '' ? undefined : study.study.date}>{studyDate(study)}</time>
              </th>
              {withPatient && <td>{'patient' in study && study.patient !== null ? <a href={hrefForPath('patients', study.patientId)}>{`${study.patient.name} · ${study.patient.identifier}`}</a> : <span className="muted">Not in the views</span>}</td>}
              <td>{study.modalities.length === 0 ? '—' : study.modalities.join(', ')}</td>
              <td>
                {/* Opening the viewer journals an access event for the study's patient. */}
                <a href={hrefForPath('imaging', 'studies', study.studyId)}>{study.study.description === '' ? 'Study without description' : study.study.description}</a>
                {study.sharedWithOtherPatient && <p className="note note--warn study-flag">{SHARED_UID_NOTE}</p>}
                {study.instancesWithOtherCopies > 0 && <p className="note note--warn study-flag">{otherCopiesNote(study.instancesWithOtherCopies, study.recodedCopies)}</p>}
              </td>
              <td>{study.study.accessionNumber === '' ? '—' : study.study.accessionNumber}</td>
              <td>{seriesLabel(study)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
