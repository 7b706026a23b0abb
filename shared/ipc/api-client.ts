import { unwrapResult, type WireResult } from './errors';
import {
  METHOD_NAMES,
  splitMethodName,
  type EventName,
  type EventPayloadOf,
  type HdmsApi,
  type MethodName,
} from './contract';

/** What a host must provide for the renderer to reach the body. */
export interface Transport {
  readonly kind: 'electron-ipc' | 'websocket';
  call(method: MethodName, payload: unknown): Promise<WireResult<unknown>>;
  subscribe<E extends EventName>(name: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
  /**
   * Hears when an open connection to the body drops without the body having said it stops (the
   * browser shell's socket after a crash; Electron's IPC never drops): `reachable` says whether a
   * new connection could be made. Either way the body has ended the old connection's sessions.
   */
  onConnectionLost?(listener: (reachable: boolean) => void): () => void;
}

/** Builds the typed API (`api.prefs.update(...)`) over any transport; failures throw ContractError. */
export function createApiClient(transport: Transport): HdmsApi {
  const api: Record<string, Record<string, (request: unknown) => Promise<unknown>>> = {};
  for (const name of METHOD_NAMES) {
    const { namespace, verb } = splitMethodName(name);
    const target = (api[namespace] ??= {});
    target[verb] = async (request: unknown) => unwrapResult(await transport.call(name, request));
  }
  return api as unknown as HdmsApi;
}
