// Child of hl7-mllp-memory.bench.ts: an MLLP listener alone (no vault) whose handler takes a while
// per frame, so frames pile up as fast as the senders can push them. Prints its port, then on
// stdin EOF one JSON line: the listener's own accounting and this process's peak RSS.
import { startMllpServer } from '../../electron/intake/hl7/mllp-server';

const HANDLER_MS = Number(process.argv[2] ?? '200');

async function main(): Promise<void> {
  const idleRss = process.memoryUsage.rss();
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);
  const print = (object: object, message: string) => void process.stderr.write(`child: ${message} ${JSON.stringify(object)}\n`);
  const log = { info: () => undefined, warn: print, error: print };
  const server = await startMllpServer({
    port: 0,
    log,
    handler: async (frame) => {
      await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
      const id = frame.subarray(0, 200).toString('latin1').split('|')[9] ?? '';
      return Buffer.from(`MSH|^~\\&|||||||ACK|A|P|2.5\rMSA|AA|${id}\r`);
    },
  });
  process.stdout.write(`${server.port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    clearInterval(sampler);
    // memory() is absent in listeners older than the byte bound (to measure them the same way).
    const memory = (server as Partial<typeof server>).memory?.() ?? { peakHeldBytes: -1, heldBytes: -1 };
    process.stdout.write(`${JSON.stringify({ peakHeldBytes: memory.peakHeldBytes, heldBytes: memory.heldBytes, peakRss, idleRss })}\n`);
    void server.close().then(() => process.exit(0));
  });
}

void main();
