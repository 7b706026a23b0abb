import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
// Type-only from contract.ts: it builds its maps from zod schemas, and a sandboxed preload can
// require nothing but 'electron' (an externalized `require("zod")` would kill it at load).
// names.ts holds the same names as plain constants and is bundled in.
import type { EventName, HdmsBridge, MethodName } from '../shared/ipc/contract';
import { EVENT_NAME_LIST, METHOD_NAME_LIST } from '../shared/ipc/names';
import type { WireResult } from '../shared/ipc/errors';

/**
 * The sandboxed preload: the only bridge between the page and the body. It exposes exactly one
 * object, `window.hdms`, shaped like the contract (`hdms.prefs.update(request)`), plus
 * `hdms.events.on(name, listener)`. No ipcRenderer, no channel names, no Electron event objects
 * ever reach the page. The body checks the caller and validates every payload; this side only
 * routes.
 */

/** Re-exported for the tests, which compare them with the contract at runtime. */
export const PRELOAD_METHOD_NAMES: readonly MethodName[] = METHOD_NAME_LIST;
export const PRELOAD_EVENT_NAMES: readonly EventName[] = EVENT_NAME_LIST;

const EVENT_NAME_SET: ReadonlySet<string> = new Set(PRELOAD_EVENT_NAMES);
function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && EVENT_NAME_SET.has(name);
}

const METHOD_PREFIX = 'hdms:';
const EVENT_CHANNEL = 'hdms:event';

const UNAVAILABLE: WireResult<never> = {
  ok: false,
  error: { code: 'E_UNAVAILABLE', message: 'The node did not answer.' },
};

type Listener = (payload: unknown) => void;

export function buildBridge(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>): HdmsBridge {
  const api: Record<string, Record<string, (request: unknown) => Promise<WireResult<unknown>>>> = {};
  for (const method of PRELOAD_METHOD_NAMES) {
    const dot = method.indexOf('.');
    const namespace = method.slice(0, dot);
    const verb = method.slice(dot + 1);
    const group = (api[namespace] ??= {});
    group[verb] = (request: unknown) =>
      (ipc.invoke(`${METHOD_PREFIX}${method}`, request) as Promise<WireResult<unknown>>).catch(() => UNAVAILABLE);
  }

  // One IPC listener for all pushes, fanned out here: no listener leak, one place that strips
  // the IpcRendererEvent.
  const listeners = new Map<EventName, Set<Listener>>();
  let attached = false;
  const onPush = (_event: IpcRendererEvent, name: unknown, payload: unknown): void => {
    if (!isEventName(name)) return;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        // One broken listener must not silence the others; the error still surfaces.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };

  const events = {
    on(name: unknown, listener: unknown): () => void {
      if (!isEventName(name)) throw new TypeError('Unknown event name.');
      if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
      const fn = listener as Listener;
      let set = listeners.get(name);
      if (set === undefined) listeners.set(name, (set = new Set()));
      set.add(fn);
      if (!attached) {
        ipc.on(EVENT_CHANNEL, onPush);
        attached = true;
      }
      return () => {
        set.delete(fn);
        if (set.size === 0) listeners.delete(name);
        if (listeners.size === 0 && attached) {
          ipc.removeListener(EVENT_CHANNEL, onPush);
          attached = false;
        }
      };
    },
  };

  for (const group of Object.values(api)) Object.freeze(group);
  return Object.freeze({ ...api, events: Object.freeze(events) }) as unknown as HdmsBridge;
}

contextBridge.exposeInMainWorld('hdms', buildBridge(ipcRenderer));
