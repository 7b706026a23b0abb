import { z } from 'zod';
import { THEME_CHOICES } from '../domain/theme';
import { event, method } from './method';

/** Per-workstation display preferences. Not security-relevant, holds no PHI. */
export const PrefsSchema = z.strictObject({
  theme: z.enum(THEME_CHOICES),
  /** Compact rows for dense worklists; comfortable for touch screens at the front desk. */
  density: z.enum(['compact', 'comfortable']),
});
export type Prefs = Readonly<z.infer<typeof PrefsSchema>>;

export const DEFAULT_PREFS: Prefs = { theme: 'system', density: 'compact' };

export const prefsMethods = {
  'prefs.get': method(z.strictObject({}), PrefsSchema),
  /** Changes some preferences; answers with the whole new set. */
  'prefs.update': method(PrefsSchema.partial().strict(), PrefsSchema),
} as const;

export const prefsEvents = {
  /** Another window or tab changed the preferences. */
  'prefs.changed': event(PrefsSchema),
} as const;
