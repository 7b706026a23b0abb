import type { AppInfo } from '../../shared/ipc/app-contract';
import { hostLabel, platformLabel } from './installation-labels';
import { Fact } from './fact';

/** Version, host, platform and data folder: what IT and support ask for first. */
export function InstallationFacts({ info }: { info: AppInfo }) {
  return (
    <dl className="facts">
      <Fact term="Version">{info.version}</Fact>
      <Fact term="Host">{hostLabel(info.host)}</Fact>
      <Fact term="Platform">{platformLabel(info.platform)}</Fact>
      <Fact term="Data folder">
        <code className="path">{info.dataDir}</code>
      </Fact>
    </dl>
  );
}
