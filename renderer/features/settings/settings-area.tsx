import { useLedger } from '../../app/ledger-context';
import { useCurrentOperator, useVaultPhase } from '../../vault/vault-context';
import { AboutSection } from './about-section';
import { AppearanceSection } from './appearance-section';
import { ScheduledBackupsWarning } from './backup-settings-block';
import { DataSection } from './data-section';
import { DicomReceiverSection } from './dicom-receiver-section';
import { Hl7ListenerSection } from './hl7-listener-section';
import { NetworkSection } from './network-section';
import { NodeIdentitySection } from './node-identity-section';
import { OperatorsSection } from './operators-section';
import { ResearchPolicySection } from './research-policy-section';
import { SecuritySection } from './security-section';

export function SettingsArea() {
  const phase = useVaultPhase();
  const operator = useCurrentOperator();
  const ledger = useLedger();
  const open = phase === 'unlocked';
  // Researchers and auditors hold role slots (no master): no vault data, keys or listeners to manage.
  const clinical = operator?.role === 'admin' || operator?.role === 'clinician';
  return (
    <>
      {/* A restored node schedules no backup (its settings stay with each computer): said first (QA s32 #3). */}
      {open && operator?.role === 'admin' && <ScheduledBackupsWarning />}
      <AppearanceSection />
      {open && <SecuritySection restricted={!clinical} />}
      {open && operator?.role === 'admin' && <OperatorsSection />}
      {open && operator?.role === 'admin' && <Hl7ListenerSection />}
      {open && operator?.role === 'admin' && <DicomReceiverSection />}
      {open && (clinical || operator?.role === 'auditor') && <DataSection auditOnly={!clinical} />}
      {open && ledger !== null && <NodeIdentitySection />}
      {open && <NetworkSection />}
      {open && clinical && <ResearchPolicySection />}
      <AboutSection />
    </>
  );
}
