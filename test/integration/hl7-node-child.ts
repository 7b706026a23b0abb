// A node in its own process, for the HL7 flood/crash test, the MLLP benchmark and the mllp_send
// interop test: the real body (startBody), which opens the vault's storage and starts the HL7
// listener by itself because a vault exists (design §4 rule 0). Usage:
//   node --import tsx test/integration/hl7-node-child.ts DATA_DIR [PORT]
// DATA_DIR must hold a vault (keys.json, see test/support/vault-keyring.ts). PORT 0 (the default)
// picks a free port. Prints "listening PORT" once the listener is up; SIGTERM stops the body
// cleanly (listener, duplicate index, storage) and prints "closed"; SIGKILL is the crash.
// HDMS_CHILD_HL7_WORKERS=N runs N intake worker threads (the source worker, loaded through tsx);
// 0 keeps everything on the listener's thread. Default: the pool's own default, as the app runs.
// HDMS_CHILD_KILL_AFTER_APPENDS=N (test-only, this script is never packaged): the process SIGKILLs
// itself as soon as the journal append that brings the count of durable appends to N resolves, i.e.
// right after that batch's fdatasync and before any of its messages is acknowledged.
// HDMS_CHILD_GC_ON_SIGUSR2=1 (benchmarks): SIGUSR2 runs a full garbage collection and prints "gc",
// so that RSS samples measure what is retained, not garbage not yet collected.
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startBody, type Body } from '../../electron/body';
import { Journal } from '../../electron/storage/journal';
import { freePort } from '../support/free-port';

function gcOnSignal(): void {
  if (process.env['HDMS_CHILD_GC_ON_SIGUSR2'] !== '1') return;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  process.on('SIGUSR2', () => {
    gc();
    process.stdout.write('gc\n');
  });
}

function killAfterAppends(): void {
  const limit = Number(process.env['HDMS_CHILD_KILL_AFTER_APPENDS'] ?? 0);
  if (!(limit > 0)) return;
  const append = Journal.prototype.append;
  let durable = 0;
  Journal.prototype.append = async function (this: Journal, ...args: Parameters<Journal['append']>) {
    const result = await append.apply(this, args);
    // The first continuation of a resolved batch: the rest of the batch's callers have not run yet.
    if (++durable >= limit) process.kill(process.pid, 'SIGKILL');
    return result;
  };
}

function hl7Workers(): { hl7Workers?: { script: string; threads?: number } } {
  const wanted = process.env['HDMS_CHILD_HL7_WORKERS'];
  if (wanted === '0') return {};
  const script = path.join(__dirname, '..', '..', 'electron', 'intake', 'hl7', 'hl7-prepare-worker.ts');
  return { hl7Workers: { script, ...(wanted !== undefined && wanted !== '' ? { threads: Number(wanted) } : {}) } };
}

async function main(): Promise<void> {
  const [dataDir, portArg] = process.argv.slice(2);
  if (dataDir === undefined) throw new Error('usage: hl7-node-child DATA_DIR [PORT]');
  killAfterAppends();
  gcOnSignal();
  const logLevel = (process.env['HDMS_CHILD_LOG'] ?? 'silent') as 'silent';
  const wanted = Number(portArg ?? 0);
  // A free port can be taken between our probe and the body's listen: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = wanted === 0 ? await freePort() : wanted;
    const body: Body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel, logToStderr: logLevel !== 'silent', mllpPort: port, ...hl7Workers() });
    const result = await body.router.dispatch('intake.status', {}, { transport: 'in-process', connectionId: 'hl7-node-child' });
    const hl7 = result.ok ? (result.value as { listeners: Array<{ channel: string; state: string; port?: number; reason?: string }> }).listeners.find((l) => l.channel === 'hl7-mllp') : undefined;
    if (hl7?.state === 'listening' && hl7.port !== undefined) {
      process.stdout.write(`listening ${hl7.port}\n`);
      process.once('SIGTERM', () => {
        void body.stop('signal').then(() => {
          process.stdout.write('closed\n');
          process.exit(0);
        });
      });
      return;
    }
    await body.stop('quit');
    if (wanted !== 0) throw new Error(`the HL7 listener did not open: ${hl7?.reason ?? 'no status'}`);
  }
  throw new Error('the HL7 listener did not open on a free port after 5 attempts');
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
