import { useId } from 'react';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import { ageSexLabel, BannerAllergies } from './patient-banner';

/**
 * Whose record a page shows (QA s32 #3: the record and raw message pages named no patient): the
 * name, age, sex and birth date as the banner says them, and the primary identifier, read from the
 * patient's search row; and their allergies, the banner's own line (highlighted, each linked), so a
 * result read on its own page is read knowing what to be careful of (issue 11). Both are decrypted
 * here, not journaled again: opening the record already was.
 */
export function PatientIdentity({ patientId }: { patientId: string }) {
  const vault = useVault();
  const labelId = useId();
  const hit = useVaultRead(`patient-hit:${patientId}`, () => vault.patientHits([patientId]));
  const who = hit.phase === 'ready' ? hit.value[0] : undefined;
  const allergies = useVaultRead(`patient-allergies:${patientId}`, () => vault.patientAllergies(patientId));
  return (
    <section className="panel patient-identity" aria-labelledby={labelId}>
      <h2 id={labelId} className="visually-hidden">
        Patient
      </h2>
      {hit.phase === 'loading' && <p role="status">Reading whose record this is…</p>}
      {hit.phase === 'failed' && (
        <p role="alert" className="note note--error">
          Whose record this is could not be read: {vaultErrorMessage(hit.error)}
        </p>
      )}
      {hit.phase === 'ready' && who === undefined && <p className="note note--error">This record’s patient is not in the vault.</p>}
      {who !== undefined && (
        <p className="patient-identity__line">
          <strong className="patient-header__name">{who.name}</strong>
          {' · '}
          {ageSexLabel(who.birthDate === '' ? undefined : who.birthDate, who.sex === '' ? undefined : who.sex, undefined, who.birthDateSent)}
          {who.identifier === '' ? null : (
            <>
              {' · '}
              <span className="patient-identity__id">{who.identifier}</span>
            </>
          )}
        </p>
      )}
      {who !== undefined && allergies.phase === 'loading' && <p role="status">Reading the patient’s allergies…</p>}
      {who !== undefined && allergies.phase === 'failed' && (
        <p role="alert" className="note note--error">
          The patient’s allergies could not be read: {vaultErrorMessage(allergies.error)}
        </p>
      )}
      {who !== undefined && allergies.phase === 'ready' && <BannerAllergies patientId={patientId} records={allergies.value} />}
    </section>
  );
}
