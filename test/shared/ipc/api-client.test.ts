import { describe, expect, it } from 'vitest';
import {
  ContractError,
  createApiClient,
  EVENT_NAMES,
  isEventName,
  isMethodName,
  METHOD_NAMES,
  splitMethodName,
  type Transport,
  type WireResult,
} from '../../../shared/ipc';

function recordingTransport(answer: (method: string, payload: unknown) => WireResult<unknown>) {
  const calls: Array<[string, unknown]> = [];
  const transport: Transport = {
    kind: 'websocket',
    call: async (method, payload) => {
      calls.push([method, payload]);
      return answer(method, payload);
    },
    subscribe: () => () => undefined,
  };
  return { transport, calls };
}

describe('typed API client', () => {
  it('exposes every contract method as namespace.verb and nothing else', () => {
    const api = createApiClient(recordingTransport(() => ({ ok: true, value: null })).transport) as unknown as Record<string, Record<string, unknown>>;
    const exposed = Object.entries(api).flatMap(([namespace, verbs]) => Object.keys(verbs).map((verb) => `${namespace}.${verb}`));
    expect(exposed.sort()).toEqual([...METHOD_NAMES].sort());
  });

  it('sends the method name and payload unchanged and returns the value', async () => {
    const { transport, calls } = recordingTransport(() => ({ ok: true, value: { theme: 'dark', density: 'compact' } }));
    const api = createApiClient(transport);
    await expect(api.prefs.update({ theme: 'dark' })).resolves.toEqual({ theme: 'dark', density: 'compact' });
    expect(calls).toEqual([['prefs.update', { theme: 'dark' }]]);
  });

  it('throws a ContractError carrying the code, message and incident', async () => {
    const { transport } = recordingTransport(() => ({ ok: false, error: { code: 'E_INTERNAL', message: 'The node could not complete app.info.', incident: 'abc' } }));
    const failure = await createApiClient(transport).app.info({}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ContractError);
    expect(failure).toMatchObject({ code: 'E_INTERNAL', message: 'The node could not complete app.info.', incident: 'abc' });
    expect((failure as ContractError).toData()).toEqual({ code: 'E_INTERNAL', message: 'The node could not complete app.info.', incident: 'abc' });
  });
});

describe('contract names', () => {
  it('are all <feature>.<verb>', () => {
    for (const name of [...METHOD_NAMES, ...EVENT_NAMES]) expect(name).toMatch(/^[a-z][a-z0-9]*\.[a-zA-Z]+$/);
  });

  it('recognise only own names, not inherited object keys', () => {
    expect(isMethodName('app.info')).toBe(true);
    expect(isEventName('prefs.changed')).toBe(true);
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '', 'app', 42]) {
      expect(isMethodName(name)).toBe(false);
      expect(isEventName(name)).toBe(false);
    }
  });

  it('split at the first dot', () => {
    expect(splitMethodName('prefs.update')).toEqual({ namespace: 'prefs', verb: 'update' });
  });
});
