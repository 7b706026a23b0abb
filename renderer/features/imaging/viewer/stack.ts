import type { ViewerSeries } from '../../../vault/imaging/study-instances';

/** One image of a series' stack: an instance's frame. Multi-frame instances give one entry per frame. */
export interface StackEntry {
  readonly instanceId: string;
  readonly frame: number;
  /** The instance's position in its series (1-based, for labels). */
  readonly instanceOrdinal: number;
  readonly frames: number;
}

/** A series as a stack, in instance order, each instance's frames in order. */
export function stackOf(series: ViewerSeries): StackEntry[] {
  const stack: StackEntry[] = [];
  series.instances.forEach((instance, index) => {
    const frames = Math.max(1, instance.frames ?? 1);
    for (let frame = 0; frame < frames; frame++) stack.push({ instanceId: instance.instanceId, frame, instanceOrdinal: index + 1, frames });
  });
  return stack;
}
