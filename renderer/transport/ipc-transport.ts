import type { Transport } from '../../shared/ipc/api-client';
import { splitMethodName, type HdmsBridge } from '../../shared/ipc/contract';
import type { WireResult } from '../../shared/ipc/errors';

/** The contract over Electron IPC, through the typed object the preload exposes as `window.hdms`. */
export function createIpcTransport(bridge: HdmsBridge): Transport {
  return {
    kind: 'electron-ipc',
    call(method, payload) {
      const { namespace, verb } = splitMethodName(method);
      // A preload older or newer than this renderer may lack a namespace: answer, do not throw.
      const group = bridge[namespace] as unknown as Record<string, (request: unknown) => Promise<WireResult<unknown>>> | undefined;
      const fn = group?.[verb];
      if (fn === undefined) {
        return Promise.resolve({ ok: false, error: { code: 'E_UNKNOWN_METHOD', message: `No method named ${method}.` } });
      }
      return fn(payload);
    },
    subscribe(name, listener) {
      return bridge.events.on(name, listener);
    },
  };
}
