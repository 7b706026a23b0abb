import { useId } from 'react';
import { useAppInfo } from '../../app/app-info-context';
import { InstallationFacts } from '../../app/installation-facts';
import { CopyButton } from '../../app/copy-button';

/** What support and IT need: version, host, platform, and where the data lives (the folder to back up). */
export function AboutSection() {
  const info = useAppInfo();
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>About this node</h2>
      <InstallationFacts info={info} />
      <CopyButton variant="path" value={info.dataDir} label="Copy data folder path" />
    </section>
  );
}
