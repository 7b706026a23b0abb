import { z } from 'zod';
import { HOST_KINDS } from '../domain/host';
import { event, method } from './method';

export const AppInfoSchema = z.strictObject({
  productName: z.string(),
  version: z.string(),
  host: z.enum(HOST_KINDS),
  platform: z.string(),
  /** Absolute path of the data folder; shown to IT in Settings and on the first-run screen. */
  dataDir: z.string(),
  startedAt: z.iso.datetime(),
});
export type AppInfo = Readonly<z.infer<typeof AppInfoSchema>>;

export const appMethods = {
  /** Facts about this node's installation, for the first-run screen, About and support. */
  'app.info': method(z.strictObject({}), AppInfoSchema),
} as const;

export const appEvents = {
  /** The body is shutting down (quit from the tray, SIGTERM): the UI says so instead of failing calls. */
  'app.stopping': event(z.strictObject({ reason: z.enum(['quit', 'signal', 'restart']) })),
} as const;
