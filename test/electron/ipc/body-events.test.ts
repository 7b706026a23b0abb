import { describe, expect, it } from 'vitest';
import { BodyEvents } from '../../../electron/ipc/body-events';

describe('body events', () => {
  it('delivers checked payloads to every subscriber, even when one throws', () => {
    const events = new BodyEvents();
    const heard: string[] = [];
    events.subscribe(() => { throw new Error('broken window'); });
    const unsubscribe = events.subscribe((name) => heard.push(name));
    events.emit('app.stopping', { reason: 'quit' });
    unsubscribe();
    events.emit('app.stopping', { reason: 'quit' });
    expect(heard).toEqual(['app.stopping']);
  });

  it('refuses a payload outside the contract', () => {
    const events = new BodyEvents();
    expect(() => events.emit('app.stopping', { reason: 'because' } as never)).toThrow();
  });
});
