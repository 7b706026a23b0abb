import http from 'node:http';
import WebSocket from 'ws';
import type { ShellProcess } from './shell-process';

export const WS_SUBPROTOCOL = 'hdms.v1';
export const TOKEN_PREFIX = 'hdms.token.';

export interface UpgradeOutcome {
  /** 101 when the socket opened, else the HTTP status the shell refused with. */
  readonly status: number;
  readonly socket?: WebSocket;
}

export interface UpgradeOptions {
  readonly protocols?: readonly string[];
  readonly origin?: string;
  readonly host?: string;
  readonly path?: string;
}

/** Tries a WebSocket upgrade against the shell and reports how it ended. */
export function tryUpgrade(shell: Pick<ShellProcess, 'port'>, options: UpgradeOptions = {}): Promise<UpgradeOutcome> {
  const headers: Record<string, string> = {};
  if (options.host !== undefined) headers['Host'] = options.host;
  const socket = new WebSocket(`ws://127.0.0.1:${shell.port}${options.path ?? '/ws'}`, [...(options.protocols ?? [])], {
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    headers,
    handshakeTimeout: 10_000,
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

/** A connected client that speaks the shell's frame protocol, with the right token and origin. */
export async function connectClient(shell: Pick<ShellProcess, 'port' | 'token'>): Promise<ShellClient> {
  const outcome = await tryUpgrade(shell, {
    protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${shell.token}`],
    origin: `http://127.0.0.1:${shell.port}`,
  });
  if (outcome.socket === undefined) throw new Error(`The shell refused a correct WebSocket with ${outcome.status}.`);
  return new ShellClient(outcome.socket);
}

export type ServerFrame = Record<string, unknown> & { readonly type: string };

/** Sends raw frames and collects what the shell answers, in order. */
export class ShellClient {
  readonly frames: ServerFrame[] = [];
  private waiters: Array<() => void> = [];
  private nextId = 1;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as ServerFrame);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  /** Waits for the next frame matching `predicate` that arrives after `from` (an index into `frames`). */
  async waitFor(predicate: (frame: ServerFrame) => boolean, from = 0, timeoutMs = 10_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(predicate);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(from))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** A contract call; resolves with the `result` member of the answer frame. */
  async call(method: string, payload: unknown): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const from = this.frames.length;
    this.sendRaw(JSON.stringify({ type: 'call', id, method, payload }));
    const frame = await this.waitFor((candidate) => candidate.type === 'result' && candidate['id'] === id, from);
    return frame['result'] as Record<string, unknown>;
  }

  /** Sends something that is not a valid call and resolves with the protocol error it earns. */
  async sendBroken(data: string | Buffer, binary = false): Promise<ServerFrame> {
    const from = this.frames.length;
    this.sendRaw(data, binary);
    return this.waitFor((frame) => frame.type === 'protocol-error', from);
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

export interface PlainAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A plain HTTP GET to the shell, with an optional Host header of the caller's choosing. */
export function httpGet(shell: Pick<ShellProcess, 'port'>, urlPath: string, host?: string): Promise<PlainAnswer> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port: shell.port, path: urlPath, agent: false, headers: host === undefined ? {} : { Host: host } },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        },
      )
      .on('error', reject);
  });
}
