import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import type { PrefsStore } from '../prefs/prefs-store';

/** `app.*`: what this node is (product, version, host, data folder). */
export function appFeature({ config }: BodyServices) {
  const startedAt = new Date().toISOString();
  return bodyFeature<'app'>({
    name: 'app',
    handlers: {
      'app.info': async () => ({
        productName: config.productName,
        version: config.appVersion,
        host: config.host,
        platform: process.platform,
        dataDir: config.dataDir,
        startedAt,
      }),
    },
  });
}

/** `prefs.*`: the UI's preferences (theme, density), kept by the body for both hosts. */
export function prefsFeature({ log, events }: BodyServices, prefs: PrefsStore) {
  return bodyFeature<'prefs'>({
    name: 'prefs',
    handlers: {
      'prefs.get': async () => prefs.get(),
      'prefs.update': async (change) => {
        const next = await prefs.update(change);
        log.info({ keys: Object.keys(change) }, 'preferences changed');
        events.emit('prefs.changed', next);
        return next;
      },
    },
  });
}
