import type { Body } from '../../electron/body';
import type { Transport } from '../../shared/ipc/api-client';
import type { EventName } from '../../shared/ipc/contract';

/**
 * The renderer's transport wired straight to a body in this process: calls go through the body's
 * router (validation included) and events come from its event bus, with no socket in between.
 */
export function inProcessTransport(body: Body): Transport {
  return {
    kind: 'websocket',
    call: (method, payload) => body.router.dispatch(method, payload, { transport: 'in-process', connectionId: 't' }),
    subscribe(name, listener) {
      return body.events.subscribe((event: EventName, payload: unknown) => {
        if (event === name) (listener as (p: unknown) => void)(payload);
      });
    },
  };
}
