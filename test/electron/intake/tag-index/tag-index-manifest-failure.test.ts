import { mkdir, readdir, readFile, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dedupeKeyHash, openHl7Dedupe, payloadHash, type Hl7Dedupe } from '../../../../electron/intake/hl7/hl7-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/** The shared tag index (through HL7's) when its manifest cannot be written: no file handle or run file is left behind. */

const tempDir = useTempDirs();
const journals: Journal[] = [];
afterEach(async () => {
  for (const journal of journals.splice(0)) await journal.close();
});

const keyOf = (id: string): string => dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'F', controlId: id });
function store(dedupe: Hl7Dedupe, journal: Journal, i: number): Promise<{ seq: number }> {
  return dedupe.store(dedupe.tag(keyOf(`C-${i}`), payloadHash(`m${i}`)), 'AA', (t) => journal.append({ kind: 'intake.hl7', dedupe: t }));
}

/** Files under `dir` this process holds open (Linux: /proc/self/fd). */
async function openFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) out.push(target);
  }
  return out;
}

describe.runIf(process.platform === 'linux')('tag index: a manifest that cannot be written', () => {
  it('closes and removes the new run file when its manifest write fails (no handle left open, no file named by no manifest)', async () => {
    const root = await tempDir();
    const journal = await Journal.open(path.join(root, 'journal'), silentLogger());
    journals.push(journal);
    const dir = path.join(root, 'intake', 'hl7-dedupe');
    const errors: string[] = [];
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 4, log: { info: () => undefined, warn: () => undefined, error: (_o, m) => void errors.push(m) } });
    // manifest.json is a folder: the atomic rename onto it fails (EISDIR), as a full or failing disk would fail it.
    await mkdir(path.join(dir, 'manifest.json'));
    for (let i = 0; i < 4; i++) await store(dedupe, journal, i); // the fourth fills the memtable: a flush
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors.length).toBeGreaterThan(0);
    // The run file the flush wrote is named by no manifest: it is gone, and not held open.
    expect(await openFiles(dir)).toEqual([]);
    expect((await readdir(dir)).filter((name) => name.startsWith('run-'))).toEqual([]);
    await rm(path.join(dir, 'manifest.json'), { recursive: true });
    await dedupe.close();
    expect(await openFiles(dir)).toEqual([]);
    // What the close wrote out is named by its manifest, and every stored message is known again.
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { runs: { name: string }[] };
    expect((await readdir(dir)).filter((name) => name.startsWith('run-')).sort()).toEqual(manifest.runs.map((run) => run.name).sort());
    const reopened = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    for (let i = 0; i < 4; i++) expect((await reopened.check(reopened.tag(keyOf(`C-${i}`), payloadHash(`m${i}`)))).status).toBe('duplicate');
    await reopened.close();
  });
});
