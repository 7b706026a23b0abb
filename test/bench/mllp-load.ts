import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../support/repo-paths';

/**
 * A minimal MLLP sender for benchmarks and tests, behaving as interface engines do: one message
 * in flight per connection, the next one sent only after the previous ACK arrived.
 */
const START = 0x0b;
const END = 0x1c;
const CR = 0x0d;

export interface MllpSender {
  /**
   * Sends one framed message and resolves with the first ACK payload that answers it, once
   * `frames` ACK frames have arrived (2 for an enhanced-mode message that asks for both the accept
   * and the application ACK), so the next send never overlaps the previous message's answers.
   */
  send(message: Uint8Array, frames?: number): Promise<Buffer>;
  close(): Promise<void>;
}

export async function connectMllp(port: number, host = '127.0.0.1'): Promise<MllpSender> {
  const socket = net.createConnection({ port, host });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let pending: { resolve: (ack: Buffer) => void; reject: (error: Error) => void; first: Buffer | null; remaining: number } | null = null;
  let buffered: Buffer = Buffer.alloc(0);
  let failure: Error | null = null;
  const fail = (error: Error): void => {
    failure ??= error;
    pending?.reject(failure);
    pending = null;
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('The MLLP connection closed.')));
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      const start = buffered.indexOf(START);
      if (start < 0) {
        buffered = Buffer.alloc(0);
        return;
      }
      const end = buffered.indexOf(END, start + 1);
      if (end < 0 || end + 1 >= buffered.length) return;
      const payload = Buffer.from(buffered.subarray(start + 1, end));
      buffered = buffered.subarray(end + (buffered[end + 1] === CR ? 2 : 1));
      const waiter = pending;
      if (waiter === null) continue;
      waiter.first ??= payload;
      if (--waiter.remaining > 0) continue;
      pending = null;
      waiter.resolve(waiter.first);
    }
  });
  return {
    send(message, frames = 1) {
      if (failure !== null) return Promise.reject(failure);
      if (pending !== null) return Promise.reject(new Error('One message at a time per MLLP connection.'));
      return new Promise<Buffer>((resolve, reject) => {
        pending = { resolve, reject, first: null, remaining: Math.max(1, frames) };
        socket.write(Buffer.concat([Buffer.from([START]), message, Buffer.from([END, CR])]));
      });
    },
    async close() {
      socket.removeAllListeners('close');
      await new Promise<void>((resolve) => socket.end(resolve));
      socket.destroy();
    },
  };
}

/** MSA-1 and MSA-2 of an ACK (the acknowledgment code and the control id it answers). */
export function ackOf(ack: Buffer): { code: string; controlId: string } {
  const text = ack.toString('utf8');
  const msa = text.split(/\r\n?|\n/).find((segment) => segment.startsWith('MSA'));
  if (msa === undefined) return { code: '', controlId: '' };
  const separator = text[3] ?? '|';
  const fields = msa.split(separator);
  return { code: fields[1] ?? '', controlId: fields[2] ?? '' };
}

/** The message with MSH-10 (its control id) replaced, so every send is a new message, not a duplicate. */
export function withControlId(raw: Uint8Array, controlId: string): Buffer {
  const text = Buffer.from(raw).toString('utf8');
  const end = text.search(/[\r\n]/);
  const msh = end < 0 ? text : text.slice(0, end);
  const fields = msh.split('|');
  fields[9] = controlId;
  return Buffer.from(fields.join('|') + (end < 0 ? '' : text.slice(end)), 'utf8');
}

export interface NodeChild {
  readonly child: ChildProcess;
  readonly port: number;
  /** stderr so far (for failure messages). */
  stderr(): string;
  /** SIGTERM and wait for a clean close (prints "closed"). */
  stop(): Promise<void>;
  /** SIGKILL: the crash. */
  kill(): Promise<void>;
}

/** The node child script: the whole body (startBody) with its HL7 listener, in its own process. */
export const NODE_CHILDREN = {
  integration: path.join(REPO_ROOT, 'test', 'integration', 'hl7-node-child.ts'),
} as const;

/**
 * Starts a node child (test/integration/hl7-node-child.ts by default) on a vault in `dataDir` and
 * waits for its port. `env` adds variables, e.g. HDMS_CHILD_HL7_WORKERS (see that script).
 */
export async function startNodeChild(dataDir: string, port = 0, script: string = NODE_CHILDREN.integration, env: Readonly<Record<string, string>> = {}): Promise<NodeChild> {
  // HDMS_CHILD_NODE_ARGS: Node flags for the child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the body during a bench.
  const nodeArgs = (process.env['HDMS_CHILD_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, dataDir, String(port)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The node child did not start: ${stderr}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening (\d+)/.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', () => reject(new Error(`The node child exited: ${stderr}`)));
  });
  return {
    child,
    port: listening,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
