import type { AppInfo } from '../../shared/ipc/app-contract';
import { hostLabel, platformLabel } from './installation-labels';

/** Version, host, platform and data folder: what IT and support ask for first. */
export function InstallationFacts({ info }: { info: AppInfo }) {
  return (
    <dl className="facts">
      <div className="facts__row">
        <dt>Version</dt>
        <dd>{info.version}</dd>
      </div>
      <div className="facts__row">
        <dt>Host</dt>
        <dd>{hostLabel(info.host)}</dd>
      </div>
      <div className="facts__row">
        <dt>Platform</dt>
        <dd>{platformLabel(info.platform)}</dd>
      </div>
      <div className="facts__row">
        <dt>Data folder</dt>
        <dd>
          <code className="path">{info.dataDir}</code>
        </dd>
      </div>
    </dl>
  );
}
