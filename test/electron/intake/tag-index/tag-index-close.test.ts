import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dedupeKeyHash, openHl7Dedupe, payloadHash, type Hl7Dedupe } from '../../../../electron/intake/hl7/hl7-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/** The shared tag index (through HL7's) closing while erasures arrive: nothing is written or left open after close. */

const tempDir = useTempDirs();
const journals: Journal[] = [];
afterEach(async () => {
  for (const journal of journals.splice(0)) await journal.close();
});

const keyOf = (id: string): string => dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'F', controlId: id });
function store(dedupe: Hl7Dedupe, journal: Journal, i: number): Promise<{ seq: number }> {
  return dedupe.store(dedupe.tag(keyOf(`C-${i}`), payloadHash(`m${i}`)), 'AA', (t) => journal.append({ kind: 'intake.hl7', dedupe: t }));
}
async function openFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) out.push(target);
  }
  return out;
}

describe.runIf(process.platform === 'linux')('tag index: forget() around close()', () => {
  it('an erasure arriving while or after the index closes starts no merge: no error, no file left open, the manifest names every run file', async () => {
    const root = await tempDir();
    const journal = await Journal.open(path.join(root, 'journal'), silentLogger());
    journals.push(journal);
    const dir = path.join(root, 'intake', 'hl7-dedupe');
    const errors: string[] = [];
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 4, log: { info: () => undefined, warn: () => undefined, error: (_o, m) => void errors.push(m) } });
    for (let i = 0; i < 40; i++) await store(dedupe, journal, i); // several runs on disk, some entries in memory
    let closed = false;
    const closing = dedupe.close().then(() => (closed = true));
    const forgets: Promise<void>[] = [];
    // An erasure's forget() at every turn of the event loop while close() runs, and a few after.
    for (let turn = 0, after = 0; after < 5; turn++) {
      // At every microtask step of the turn too (close() goes on between them).
      for (let step = 0; step < 20; step++) {
        forgets.push(dedupe.forget([1 + ((turn + step) % 40)]).catch(() => undefined));
        await Promise.resolve();
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (closed) after++;
    }
    await closing;
    await Promise.all(forgets);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual([]);
    expect(await openFiles(dir)).toEqual([]);
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { runs: { name: string }[] };
    expect((await readdir(dir)).filter((name) => name.startsWith('run-')).sort()).toEqual(manifest.runs.map((run) => run.name).sort());
  });
});
