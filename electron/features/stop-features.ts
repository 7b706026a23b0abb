import { describeErrorForLog } from '../logging/error-report';
import type { FeatureLifecycle } from './body-feature';

/**
 * Stops the body's features in reverse order of composition, each on its own: one whose stop
 * throws is logged (by class and stack frames, never its message: design §9) and the rest still
 * stop. A single loop used to end at the first failure, so the features composed before it (the
 * HL7 listener with its counters' last save, among others) never stopped and the vault closed
 * without them.
 */
export async function stopFeatures(
  features: readonly Pick<FeatureLifecycle, 'name' | 'stop'>[],
  log: { error(fields: Record<string, unknown>, message: string): void },
): Promise<void> {
  for (const feature of [...features].reverse()) {
    try {
      await feature.stop?.();
    } catch (error) {
      log.error({ feature: feature.name, ...describeErrorForLog(error) }, 'a feature failed to stop; the others stop on');
    }
  }
}
