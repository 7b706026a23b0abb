// The network server of large-delivery.bench.ts in its own process (as in production: another
// machine), so the nodes' memory and the server's are measured apart. argv[2]: its data folder.
// Prints {"url"} once listening; when stdin ends, closes and prints its RSS after start (collected,
// settled) and its peak (sampled every 200 ms). HDMS_BENCH_LARGE_DEFAULT_LIMITS=1 keeps the default
// request limits; otherwise they are raised (see large-delivery-flow.ts).
import { startNetworkServer } from '../../server/server-process';

const RAISED_LIMITS = { memberRateLimit: { max: 1_000_000, windowMs: 60_000 }, ipRateLimit: { max: 1_000_000, windowMs: 60_000 } };

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (dataDir === undefined) throw new Error('usage: large-delivery-server.ts <data dir>');
  const limits = process.env['HDMS_BENCH_LARGE_DEFAULT_LIMITS'] === '1' ? {} : { limits: RAISED_LIMITS };
  const server = await startNetworkServer({ dataDir, database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', chain: null, anchorIntervalMs: 0, ...limits });
  for (let i = 0; i < 2; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    void server.close().then(() => {
      process.stdout.write(`${JSON.stringify({ startRss, peakRss, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`large-delivery server: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
