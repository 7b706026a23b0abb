import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { launchPersistent } from '../support/chromium';
import { REPO_ROOT } from '../support/repo-paths';
import { median, percentile, type BenchModule } from './bench-report';
import type * as readsModule from '../../renderer/vault/views/message-reads';
import type * as logModule from '../../renderer/vault/views/message-log';
import type * as dbModule from '../../renderer/vault/views/vault-db';
import type * as vaultKeysModule from '../../shared/crypto/vault-keys';
import type * as cipherModule from '../../shared/crypto/field-cipher';
import type * as blindIndexModule from '../../shared/crypto/blind-index';

/**
 * The message browser's search (issue 11: p95 ≤ 200 ms over 1M messages) in Chromium IndexedDB,
 * through renderer/vault/views/message-reads.ts exactly as VaultService.messages runs it (tokens
 * of the filters, the plan's driving index, row checks, decryption of the page's 50 rows).
 *
 * The `messages` table is filled in the page, before the clock starts, with rows as the message
 * projector writes them (HMAC tokens under a real index key, payloads encrypted under the view
 * key, one per seq): 97 % accepted, the rest conflicts, not mapped, rejected, held; 20 senders,
 * 12 message types, 50,000 patients; one message every 2 s from 2025-01-01. Patient queries use
 * postings written for 1,000 MRNs, as the patient projector writes them.
 *
 * Queries, 10 of each kind: the newest page; the second page; a whole control id; the start of one
 * in lower case (4 digits: ~111 ids) and one every id shares ("ctrl-"); a sender; a
 * type; a rare status (rejected); sender + type; a one-day range; sender + one-day range; an MRN.
 * Baseline, same page and run: the bare IndexedDB read of the newest 50 rows (primary key, reverse,
 * limit 50), which every first page costs at least.
 */

const MESSAGES = Number(process.env['HDMS_BENCH_BROWSER_MESSAGES'] ?? 1_000_000);
const VAULT_ID = 'bench-messages-0001';

const PAGE_ENTRY = `
export * as reads from './renderer/vault/views/message-reads';
export * as log from './renderer/vault/views/message-log';
export * as db from './renderer/vault/views/vault-db';
export * as vaultKeys from './shared/crypto/vault-keys';
export * as cipher from './shared/crypto/field-cipher';
export * as blindIndex from './shared/crypto/blind-index';
`;

interface Bundle {
  reads: typeof readsModule;
  log: typeof logModule;
  db: typeof dbModule;
  vaultKeys: typeof vaultKeysModule;
  cipher: typeof cipherModule;
  blindIndex: typeof blindIndexModule;
}
declare const hdmsMessages: Bundle;

interface Timings {
  readonly fillMs: number;
  readonly kinds: Record<string, number[]>;
  readonly hits: Record<string, number[]>;
  readonly baseline: number[];
}

const bench: BenchModule = {
  title: `message browser search over ${MESSAGES.toLocaleString('en')} messages in Chromium`,
  async run(log) {
    const bundle = await build({
      stdin: { contents: PAGE_ENTRY, resolveDir: REPO_ROOT, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'iife',
      globalName: 'hdmsMessages',
      platform: 'browser',
      target: 'chrome120',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    const server = http.createServer((request, response) => {
      if (request.url === '/messages.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' });
        response.end(script);
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; script-src 'self'" });
      response.end('<!doctype html><meta charset="utf-8"><title>message browser bench</title><script src="/messages.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    // A profile on disk, as the app's: an in-memory (incognito) context's IndexedDB quota is too
    // small for a million rows with their control-id prefix tokens (a DexieError at ~20 minutes).
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hdms-bench-messages-'));
    const browser = await launchPersistent(profileDir);
    try {
      const page = await browser.newPage();
      page.on('console', (message) => {
        if (message.text().startsWith('bench:')) log(`message browser: ${message.text().slice(7)}`);
      });
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => typeof (globalThis as { hdmsMessages?: unknown }).hdmsMessages === 'object');
      await page.evaluate('globalThis.__name = (target) => target');
      page.setDefaultTimeout(0);
      const timings = await page.evaluate(
        async ({ total, vaultId }): Promise<Timings> => {
          const { reads, log: messageLog, db: views, vaultKeys, cipher, blindIndex } = hdmsMessages;
          const keys = await vaultKeys.deriveVaultKeys(vaultKeys.generateMasterSecret());
          await views.deleteVaultDb(vaultId);
          const db = views.openVaultDb(vaultId);
          await db.open();
          const SENDERS = Array.from({ length: 20 }, (_, i) => `APP${i}|FACILITY${i % 5}`);
          const TYPES = ['ADT^A01', 'ADT^A04', 'ADT^A08', 'ADT^A03', 'ORU^R01', 'ORM^O01', 'OML^O21', 'MDM^T02', 'VXU^V04', 'SIU^S12', 'DFT^P03', 'MFN^M02'];
          // The control id's prefix tokens, as the projector's TokenCache makes them (F10).
          const controlSource = {
            exactToken: async (field: string, value: string) => (await blindIndex.blindTokens(keys.indexKey, [value], field))[0]!,
            valuePrefixTokens: (field: string, value: string) => blindIndex.prefixTokens(keys.indexKey, [value], field),
          };
          const senderTokens = await Promise.all(SENDERS.map((s) => messageLog.messageToken(keys.indexKey, 'sender', s)));
          const typeTokens = await Promise.all(TYPES.map((t) => messageLog.messageToken(keys.indexKey, 'type', t)));
          const patientIds = Array.from({ length: 50_000 }, (_, i) => `P${String(i).padStart(21, '0')}`);
          const start = Date.parse('2025-01-01T00:00:00Z');
          const statusOf = (seq: number) => {
            const r = (seq * 2654435761) % 1000;
            return r < 970 ? 'accepted' : r < 980 ? 'conflict' : r < 985 ? 'not-mapped' : r < 995 ? 'rejected' : 'held';
          };
          const t0 = performance.now();
          const BATCH = 5000;
          for (let first = 1; first <= total; first += BATCH) {
            if ((first - 1) % 100_000 === 0 && first > 1) console.log(`bench: ${first - 1} rows written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
            const seqs = Array.from({ length: Math.min(BATCH, total - first + 1) }, (_, i) => first + i);
            const controls = await Promise.all(seqs.map((seq) => messageLog.controlTokens(controlSource, `CTRL-${seq}`)));
            const encs = await cipher.encryptMany(
              keys.viewKey,
              seqs.map((seq) => ({
                table: 'messages',
                id: String(seq),
                value: { kind: 'intake.hl7', channel: 'hl7-mllp', receivedAt: new Date(start + seq * 2000).toISOString(), sender: SENDERS[seq % 20]!, controlId: `CTRL-${seq}`, messageType: TYPES[(seq * 7) % 12]!, acks: ['AA'], objectId: null, records: 3 },
              })),
            );
            await db.messages
              .bulkPut(
              seqs.map((seq, i) => {
                const status = statusOf(seq);
                return {
                  seq,
                  at: new Date(start + seq * 2000).toISOString(),
                  status: status as ReturnType<typeof statusOf> & readsModule.MessageSummary['status'],
                  control: controls[i]!,
                  sender: senderTokens[seq % 20]!,
                  type: typeTokens[(seq * 7) % 12]!,
                  patientId: status === 'rejected' || status === 'held' ? '' : patientIds[(seq * 31) % patientIds.length]!,
                  enc: encs[i]!,
                };
              }),
            )
              .catch((error: { name?: string; message?: string; inner?: { name?: string; message?: string } }) => {
                // Dexie's own error reaches Node only as its class name: say what failed, and where.
                throw new Error(`bulkPut of rows ${first}…: ${error.name}: ${error.message} (${error.inner?.name ?? ''} ${error.inner?.message ?? ''})`);
              });
          }
          // Postings of 1,000 MRNs (patients 0..999), as the patient projector writes them.
          const mrns = Array.from({ length: 1000 }, (_, i) => `MRN${String(i).padStart(8, '0')}`);
          const postingRows = await Promise.all(
            mrns.map(async (mrn, i) => {
              const { groups } = await blindIndex.queryTokens(keys.indexKey, mrn);
              return { id: views.postingKey(groups[0]!.anyOf[0]!, 1), ids: [patientIds[i]!] };
            }),
          );
          await db.postings.bulkPut(postingRows);
          await db.patients.bulkPut(patientIds.slice(0, 1000).map((id) => ({ id, tokens: [], enc: new Uint8Array(1) })));
          // The row count the message projector keeps in meta.
          await db.meta.put({ key: messageLog.MESSAGE_COUNT_KEY, value: total });
          const fillMs = performance.now() - t0;

          const day = (d: number) => ({ from: new Date(start + d * 86_400_000).toISOString(), to: new Date(start + (d + 1) * 86_400_000).toISOString() });
          const lastDay = Math.floor((total * 2000) / 86_400_000);
          const queries: Record<string, (i: number) => readsModule.MessageQuery> = {
            newest: () => ({}),
            secondPage: () => ({ before: total - 49 }),
            controlId: (i) => ({ controlId: `CTRL-${1 + ((i * 104_729) % total)}` }),
            // F10: a start in lower case (about 111 ids) and one every id shares.
            controlPrefix: (i) => ({ controlId: `ctrl-${1000 + ((i * 7919) % 9000)}` }),
            controlShared: () => ({ controlId: 'ctrl-' }),
            sender: (i) => ({ sender: SENDERS[i % 20]! }),
            type: (i) => ({ types: [TYPES[i % 12]!] }),
            rejected: () => ({ status: 'rejected' }),
            senderAndType: (i) => ({ sender: SENDERS[i % 20]!, types: [TYPES[(i * 5) % 12]!] }),
            oneDay: (i) => day((i * 3) % Math.max(1, lastDay)),
            senderOneDay: (i) => ({ sender: SENDERS[i % 20]!, ...day((i * 3) % Math.max(1, lastDay)) }),
            patientMrn: (i) => ({ patient: mrns[(i * 97) % 1000]! }),
          };
          const kinds: Record<string, number[]> = {};
          const hits: Record<string, number[]> = {};
          const baseline: number[] = [];
          await reads.searchMessages(db, keys, {}); // warm-up
          for (let i = 0; i < 10; i++) {
            for (const [name, make] of Object.entries(queries)) {
              const q0 = performance.now();
              const page = await reads.searchMessages(db, keys, make(i));
              (kinds[name] ??= []).push(performance.now() - q0);
              (hits[name] ??= []).push(page.messages.length);
            }
            const b0 = performance.now();
            await db.messages.reverse().limit(50).toArray();
            baseline.push(performance.now() - b0);
          }
          db.close();
          return { fillMs, kinds, hits, baseline };
        },
        { total: MESSAGES, vaultId: VAULT_ID },
      );
      const all = Object.values(timings.kinds).flat();
      const p50 = median(all);
      const p95 = percentile(all, 95);
      log(`message browser: ${MESSAGES} rows written in ${(timings.fillMs / 1000).toFixed(1)} s`);
      for (const [name, samples] of Object.entries(timings.kinds)) {
        log(`message browser: ${name}: p50 ${median(samples).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms, rows ${median(timings.hits[name]!)}`);
      }
      return [
        {
          figure: 'message_browser_query_ms',
          value: p50,
          p95,
          // Issue 11: "p95 ≤ 200 ms" (before, meetsTarget read the median and said true at a p95 of 1,280 ms).
          targetOn: 'p95',
          runs: all.length,
          target: { max: 200 },
          baseline: { name: 'bare IndexedDB read of the newest 50 rows (primary key, reverse), same page and table', value: median(timings.baseline), p95: percentile(timings.baseline, 95) },
          unit: 'ms',
          samples: all,
          baselineSamples: timings.baseline,
          notes: `${MESSAGES} messages; 10 queries of each of ${Object.keys(timings.kinds).join(', ')}; target applies to p95 (${p95.toFixed(1)} ms); per kind p95: ${Object.entries(timings.kinds)
            .map(([name, samples]) => `${name} ${percentile(samples, 95).toFixed(0)}`)
            .join(', ')} ms.`,
        },
      ];
    } finally {
      await browser.close();
      fs.rmSync(profileDir, { recursive: true, force: true });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  },
};

export default bench;
