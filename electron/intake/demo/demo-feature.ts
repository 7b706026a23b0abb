import { bodyFeature } from '../../features/body-feature';
import type { BodyServices } from '../../features/body-services';
import { DemoRefusal, importDemoData } from './demo-import';

/** `demo.*`: generated demo patients and messages, through the real intake pipeline. */
export function demoFeature({ log, events, vault, notifier, isRunning }: BodyServices) {
  let running: Promise<unknown> | null = null;
  return bodyFeature<'demo'>({
    name: 'demo',
    handlers: {
      'demo.import': async ({ patients, seed }) => {
        const open = await vault.require();
        if (running !== null) throw new DemoRefusal('E_CONFLICT', 'A demo import is running already; wait for it to finish.');
        const started = performance.now();
        const run = importDemoData({
          pipeline: open.pipeline,
          patients,
          ...(seed === undefined ? {} : { seed }),
          onProgress: (progress) => events.emit('demo.progress', progress),
          shouldContinue: isRunning,
        });
        running = run;
        try {
          const result = await run;
          notifier.flush();
          log.info({ messages: result.messages, patients: result.patients, lastSeq: result.lastSeq, ms: Math.round(performance.now() - started) }, 'demo data imported');
          return result;
        } finally {
          running = null;
        }
      },
    },
    stop: async () => {
      await running?.catch(() => undefined);
    },
  });
}
