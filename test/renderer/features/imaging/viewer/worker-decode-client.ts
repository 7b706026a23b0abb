import type { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';

/**
 * The page's decode client for the viewer's tests, backed by the worker's own state (an
 * InstanceDecoder in the test's thread), so what the worker keeps open or forgets is what the page
 * meets. A test mocks decode-client with this module:
 * `vi.mock('…/viewer/decode-client', () => import('./worker-decode-client'))`, then calls
 * setWorkerDecoder before it renders. Kept apart from the study helpers: this module must not
 * import the app, whose import of decode-client it stands in for.
 */
let decoder: InstanceDecoder | null = null;

export function setWorkerDecoder(next: InstanceDecoder): void {
  decoder = next;
}

function current(): InstanceDecoder {
  if (decoder === null) throw new Error('setWorkerDecoder was not called before the viewer decoded');
  return decoder;
}

export function sharedDecodeClient() {
  return {
    warm: () => undefined,
    reset: async () => current().reset(),
    open: (key: string, source: Uint8Array, decodeFirst: boolean) => current().open(key, source, decodeFirst),
    frame: (key: string, frame: number) => current().frame(key, frame),
    tags: async (key: string) => current().tags(key),
    terminate: () => undefined,
  };
}
