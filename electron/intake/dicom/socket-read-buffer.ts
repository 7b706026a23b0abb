import net from 'node:net';

/** Node's private keys of a socket's `onread` option, found once per process (null: not this Node). */
interface OnreadKeys {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

let onreadKeys: OnreadKeys | null | undefined;

function findOnreadKeys(): OnreadKeys | null {
  const buffer = new Uint8Array(1);
  const callback = (): boolean => true;
  let probe: net.Socket;
  try {
    // Node's typings list `onread` among the connect options only; the constructor is what takes it.
    probe = new net.Socket({ onread: { buffer, callback } } as net.SocketConstructorOpts);
  } catch {
    return null;
  }
  const held = probe as unknown as Record<symbol, unknown>;
  const keys = Object.getOwnPropertySymbols(probe);
  const bufferKey = keys.find((key) => held[key] === buffer && key.description === 'kBuffer');
  const callbackKey = keys.find((key) => held[key] === callback && key.description === 'kBufferCb');
  const generatorKey = keys.find((key) => held[key] === null && key.description === 'kBufferGen');
  probe.destroy();
  return bufferKey !== undefined && callbackKey !== undefined && generatorKey !== undefined ? { buffer: bufferKey, callback: callbackKey, generator: generatorKey } : null;
}

/**
 * Makes an accepted socket read into `buffer` and hand each read to `onRead` (bytes read, the
 * buffer), as `new net.Socket({ onread })` does (Node's net docs): no fresh 64 KiB ArrayBuffer per
 * read, and no stream machinery in between. `onRead` must take what it keeps out of the buffer
 * before it returns (the next read, on this socket or any other sharing the buffer, overwrites
 * it); returning false pauses the socket. `pause()`, `resume()`, 'end', 'error' and 'close' behave
 * as usual; 'data' is no longer emitted.
 *
 * net.Server gives no way to pass `onread` for the sockets it accepts (Node 20–22), so this sets
 * what the Socket constructor sets from the option, through the keys it uses, found by reading
 * them off a probe socket made with the option. Call it in the 'connection' listener, before the
 * first read arrives. Returns false, changing nothing, where they cannot be found (another Node,
 * or Electron's, laid out otherwise; a socket without a TCP handle): the caller then reads 'data'.
 */
export function readIntoBuffer(socket: net.Socket, buffer: Uint8Array, onRead: (bytes: number, buffer: Uint8Array) => boolean): boolean {
  if (onreadKeys === undefined) onreadKeys = findOnreadKeys();
  const keys: OnreadKeys | null = onreadKeys;
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } })._handle;
  if (keys === null || typeof handle?.useUserBuffer !== 'function') return false;
  const held = socket as unknown as Record<symbol, unknown>;
  if (held[keys.buffer] !== null || held[keys.callback] !== null) return false;
  held[keys.buffer] = buffer;
  held[keys.callback] = onRead;
  held[keys.generator] = null;
  handle.useUserBuffer(buffer);
  return true;
}
