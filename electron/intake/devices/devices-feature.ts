import { bodyFeature } from '../../features/body-feature';
import type { BodyServices } from '../../features/body-services';
import type { DeviceChannel } from './device-channel';
import type { DeviceRegistry } from './device-registry';

/**
 * `devices.*`: the IEEE 11073 manager's ports and connections, and the approved-devices list.
 * The channel itself is registered with the intake feature, which attaches it when the vault's
 * storage opens. Port paths are the OS's names (no PHI); nothing here carries a reading.
 */
export function devicesFeature(services: BodyServices, channel: DeviceChannel, registry: DeviceRegistry) {
  const { log } = services;
  return bodyFeature<'devices'>({
    name: 'devices',
    handlers: {
      'devices.status': async () => channel.snapshot(),
      'devices.listPorts': async () => channel.listPorts(),
      'devices.openPort': async ({ path, settings }) => {
        log.info({ port: path }, 'device port opened by an operator');
        return channel.openPort(path, settings);
      },
      'devices.closePort': async ({ path }) => channel.closePort(path),
      'devices.approvals': async () => ({ devices: [...registry.decisions()] }),
      'devices.decide': async ({ systemIdPrefix, decision, manufacturer, model }) => {
        const devices = await registry.decide({ systemIdPrefix, decision, ...(manufacturer === undefined ? {} : { manufacturer }), ...(model === undefined ? {} : { model }) });
        log.info({ systemIdPrefix, decision }, 'device approval decided');
        channel.approvalsChanged();
        return { devices: [...devices] };
      },
      'devices.forget': async ({ systemIdPrefix }) => {
        const devices = await registry.forget(systemIdPrefix);
        channel.approvalsChanged();
        return { devices: [...devices] };
      },
    },
    afterErasure: (seqs) => channel.afterErasure(seqs),
    stop: () => channel.detach('HDMS Node is stopping.'),
  });
}
