import { z } from 'zod';
import { event, method } from './method';

export const demoMethods = {
  /**
   * Generates a synthetic population and feeds it through the same sealed intake path as the real
   * channels. Answers when every message is durable in the journal.
   */
  'demo.import': method(
    z.strictObject({ patients: z.number().int().min(1).max(200_000), seed: z.number().int().nonnegative().optional() }),
    z.strictObject({ messages: z.number().int().nonnegative(), patients: z.number().int().nonnegative(), lastSeq: z.number().int().nonnegative() }),
  ),
} as const;

export const demoEvents = {
  'demo.progress': event(z.strictObject({ messages: z.number().int().nonnegative(), patients: z.number().int().nonnegative(), total: z.number().int().nonnegative() })),
} as const;
