import type { Session } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { blockRendererNetwork, isAllowedRendererRequest } from '../../../electron/window/request-filter';

describe('the renderer network filter', () => {
  it('lets through the app origin and in-memory URLs of the app only', () => {
    expect(isAllowedRendererRequest('app://hdms/assets/index.js')).toBe(true);
    expect(isAllowedRendererRequest('data:image/png;base64,AAAA')).toBe(true);
    expect(isAllowedRendererRequest('blob:app://hdms/6f1c0e4e-1b7a-4f7e-9c61-0b5d2a3c4d5e')).toBe(true);
    for (const url of [
      'https://evil.example/',
      'http://127.0.0.1:9000/',
      'ws://127.0.0.1:9000/ws',
      'wss://relay.example/',
      'file:///etc/passwd',
      'blob:https://evil.example/1',
      'app://evil/index.js',
      'ftp://x.example/',
    ]) {
      expect(isAllowedRendererRequest(url), url).toBe(false);
    }
  });

  it('cancels every other request of the session', () => {
    let listener: ((details: { url: string; resourceType: string }, callback: (response: { cancel: boolean }) => void) => void) | undefined;
    let filter: unknown;
    const session = {
      webRequest: {
        onBeforeRequest: (f: unknown, l: typeof listener) => {
          filter = f;
          listener = l;
        },
      },
    };
    const onBlocked = vi.fn();
    blockRendererNetwork(session as unknown as Session, onBlocked);
    expect(filter).toEqual({ urls: ['<all_urls>'] });
    const decide = (url: string): boolean => {
      let cancel: boolean | undefined;
      listener?.({ url, resourceType: 'xhr' }, (response) => (cancel = response.cancel));
      return cancel ?? false;
    };
    expect(decide('https://evil.example/exfiltrate?mrn=1')).toBe(true);
    expect(decide('app://hdms/index.html')).toBe(false);
    expect(onBlocked).toHaveBeenCalledOnce();
    expect(onBlocked).toHaveBeenCalledWith('https://evil.example', 'xhr');
  });
});
