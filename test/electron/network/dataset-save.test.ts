import { readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../../electron/body';
import { DatasetSaves, datasetFilePath } from '../../../electron/network/dataset-save';
import { memoryLogger } from '../../support/silent-logger';
import { useCleanups } from '../../support/cleanups';
import { useTempDirs } from '../../support/temp-dir';
import { call, makeTestVault, signIn } from '../vault/vault-test-support';

/**
 * `network.datasetSave*` (issue 15 item 7): the files of an opened dataset written into a new or
 * empty folder. Nested files and appends; finish counts; paths that could leave the folder, absolute
 * and relative folders, a folder that holds something, links planted during the save (no byte lands
 * outside, abort deletes nothing outside), the limit of open saves, abort, idleness and stopping
 * removing what was written; the desktop's folder dialog and the browser shell without one.
 */

const tempDir = useTempDirs();
const cleanup = useCleanups();

const b64 = (text: string): string => Buffer.from(text).toString('base64url');

function saves(options: { idleMs?: number; protectedDir?: string } = {}) {
  const logged = memoryLogger();
  const store = new DatasetSaves({ log: logged.log, ...options });
  cleanup(() => store.stop());
  return { store, lines: logged.lines };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return (error as { code?: string } | undefined)?.code;
}

/** Every file under a folder, '/'-separated, sorted. */
async function tree(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')).sort();
}

describe('dataset save', () => {
  it('writes nested files, appends, creates a missing folder, and finish counts and closes', async () => {
    const { store, lines } = saves();
    const parent = await tempDir();
    const folder = path.join(parent, 'datasets', 'purchase-1');
    const begun = await store.begin(folder);
    expect(begun).toEqual({ handle: expect.stringMatching(/^[0-9a-f]{32}$/), folder });
    await expect(store.write(begun.handle, 'fhir/Patient.ndjson', b64('{"a":1}\n'))).resolves.toEqual({ bytes: 8 });
    await expect(store.write(begun.handle, 'fhir/Patient.ndjson', b64('{"a":2}\n'))).resolves.toEqual({ bytes: 16 });
    await expect(store.write(begun.handle, 'dicom/1.2.3/4.5.6/1.dcm', b64('DICM'))).resolves.toEqual({ bytes: 4 });
    await expect(store.write(begun.handle, 'empty.csv', '')).resolves.toEqual({ bytes: 0 });
    // Back to an earlier file: appended, not replaced.
    await expect(store.write(begun.handle, 'fhir/Patient.ndjson', b64('{"a":3}\n'))).resolves.toEqual({ bytes: 24 });
    await expect(store.finish(begun.handle)).resolves.toEqual({ folder, files: 3, bytes: 28 });
    expect(await tree(folder)).toEqual(['dicom', 'dicom/1.2.3', 'dicom/1.2.3/4.5.6', 'dicom/1.2.3/4.5.6/1.dcm', 'empty.csv', 'fhir', 'fhir/Patient.ndjson']);
    expect(await readFile(path.join(folder, 'fhir', 'Patient.ndjson'), 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(await readFile(path.join(folder, 'empty.csv'), 'utf8')).toBe('');
    // Finished: the handle is gone, nothing more is written.
    expect(await codeOf(store.write(begun.handle, 'more.csv', b64('x')))).toBe('E_CONFLICT');
    expect(await codeOf(store.finish(begun.handle))).toBe('E_CONFLICT');
    expect(store.open).toBe(0);
    // Counts in the log, never a path or a file's name.
    const logged = JSON.stringify(lines());
    expect(logged).toContain('"files":3');
    expect(logged).not.toContain('purchase-1');
    expect(logged).not.toContain('Patient');
  });

  it('refuses file paths that could leave the folder or that a desktop system reads otherwise', async () => {
    const { store } = saves();
    const folder = await tempDir();
    const { handle } = await store.begin(folder);
    const refused = [
      '../escape.txt', 'a/../../escape.txt', '..', './a.txt', 'a/./b.txt', 'a//b.txt', 'a/', '/etc/passwd', '/a.txt',
      'a\\b.txt', '..\\escape.txt', 'C:/escape.txt', 'c:escape.txt', 'file.txt:stream', 'a\u0000b', 'tab\tname',
      'CON', 'a/nul.txt', 'Lpt1', 'name.', 'name ', Array.from({ length: 9 }, () => 'd').join('/'), 'x'.repeat(513),
    ];
    for (const relative of refused) {
      expect({ relative, code: await codeOf(store.write(handle, relative, b64('x'))) }).toEqual({ relative, code: 'E_BAD_REQUEST' });
    }
    expect(await readdir(folder)).toEqual([]);
    // The limits themselves are fine: 8 segments, 512 characters.
    expect(datasetFilePath(Array.from({ length: 8 }, () => 'd').join('/'))).toHaveLength(8);
    expect(datasetFilePath(`${'x'.repeat(200)}/${'y'.repeat(200)}/${'z'.repeat(110)}`)).toHaveLength(3);
    // Non-canonical base64url is not guessed at.
    expect(await codeOf(store.write(handle, 'a.txt', 'AAB'))).toBe('E_BAD_REQUEST');
  });

  it('refuses a relative folder, a folder holding anything, a file, the data folder, and one another save writes into', async () => {
    const dataDir = await tempDir();
    const { store } = saves({ protectedDir: dataDir });
    expect(await codeOf(store.begin('datasets/purchase'))).toBe('E_BAD_REQUEST');
    expect(await codeOf(store.begin('./purchase'))).toBe('E_BAD_REQUEST');
    const full = await tempDir();
    await writeFile(path.join(full, '.hidden'), 'x');
    expect(await codeOf(store.begin(full))).toBe('E_CONFLICT');
    expect(await codeOf(store.begin(path.join(full, '.hidden')))).toBe('E_CONFLICT');
    expect(await codeOf(store.begin(path.join(dataDir, 'datasets')))).toBe('E_CONFLICT');
    // Refused after creating it: the folder made for it is gone again.
    expect(await readdir(dataDir)).toEqual([]);
    const parent = await tempDir();
    await store.begin(path.join(parent, 'one'));
    expect(await codeOf(store.begin(path.join(parent, 'one')))).toBe('E_CONFLICT');
    expect(await codeOf(store.begin(path.join(parent, 'one', 'inner')))).toBe('E_CONFLICT');
    expect(await codeOf(store.begin(parent))).toBe('E_CONFLICT');
    expect(store.open).toBe(1);
    // Two begins at once for one folder: only one finds it free.
    const both = await Promise.allSettled([store.begin(path.join(parent, 'two')), store.begin(path.join(parent, 'two'))]);
    expect(both.map((settled) => settled.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(store.open).toBe(2);
  });

  it('never follows a link out of the folder, and abort deletes nothing outside it', async () => {
    const { store } = saves();
    const folder = await tempDir();
    const outside = await tempDir();
    await writeFile(path.join(outside, 'x.txt'), 'not the save\'s');
    await writeFile(path.join(outside, 'target.txt'), 'not the save\'s');
    const { handle } = await store.begin(folder);

    // A link planted in the folder during the save: the save did not create it, so it is not entered.
    await symlink(outside, path.join(folder, 'planted'));
    expect(await codeOf(store.write(handle, 'planted/new.txt', b64('x')))).toBe('E_CONFLICT');
    // A link planted where a file goes (even one pointing nowhere): exclusive create refuses it.
    await symlink(path.join(outside, 'made.txt'), path.join(folder, 'dangling.txt'));
    expect(await codeOf(store.write(handle, 'dangling.txt', b64('x')))).toBe('E_CONFLICT');

    // A folder the save created, swapped for a link once written into.
    await store.write(handle, 'a/x.txt', b64('mine'));
    await rename(path.join(folder, 'a'), path.join(folder, 'a-moved'));
    await symlink(outside, path.join(folder, 'a'));
    expect(await codeOf(store.write(handle, 'a/y.txt', b64('x')))).toBe('E_CONFLICT');
    expect(await codeOf(store.write(handle, 'a/x.txt', b64('x')))).toBe('E_CONFLICT');

    // A file the save created, swapped for a link while another file is written.
    await store.write(handle, 'f.txt', b64('mine'));
    await store.write(handle, 'g.txt', b64('mine'));
    await rm(path.join(folder, 'f.txt'));
    await symlink(path.join(outside, 'target.txt'), path.join(folder, 'f.txt'));
    expect(await codeOf(store.write(handle, 'f.txt', b64('x')))).toBe('E_CONFLICT');

    expect(await tree(outside)).toEqual(['target.txt', 'x.txt']);
    expect(await readFile(path.join(outside, 'target.txt'), 'utf8')).toBe('not the save\'s');
    await store.abort(handle);
    // Outside is untouched; inside, only what the save created and could still reach is gone.
    expect(await tree(outside)).toEqual(['target.txt', 'x.txt']);
    expect(await readFile(path.join(outside, 'x.txt'), 'utf8')).toBe('not the save\'s');
    expect(await tree(folder)).toEqual(['a', 'a-moved', 'a-moved/x.txt', 'dangling.txt', 'f.txt', 'planted']);
  });

  it('holds at most 4 saves open at once', async () => {
    const { store } = saves();
    const parent = await tempDir();
    const handles: string[] = [];
    for (const name of ['1', '2', '3', '4']) handles.push((await store.begin(path.join(parent, name))).handle);
    expect(await codeOf(store.begin(path.join(parent, '5')))).toBe('E_CONFLICT');
    // Refused before anything was made.
    expect((await readdir(parent)).sort()).toEqual(['1', '2', '3', '4']);
    await store.abort(handles[0]!);
    await expect(store.begin(path.join(parent, '5'))).resolves.toMatchObject({ folder: path.join(parent, '5') });
  });

  it('abort removes the files and folders the save created, and only those', async () => {
    const { store, lines } = saves();
    const parent = await tempDir();
    // A folder it created (with its new parent): gone entirely.
    const created = await store.begin(path.join(parent, 'new', 'dataset'));
    await store.write(created.handle, 'fhir/Patient.ndjson', b64('{}\n'));
    await store.write(created.handle, 'dicom/s/1.dcm', b64('DICM'));
    await store.abort(created.handle);
    expect(await readdir(parent)).toEqual([]);
    expect(await codeOf(store.write(created.handle, 'x.txt', b64('x')))).toBe('E_CONFLICT');
    // Aborting twice (or a handle that expired) is nothing to do.
    await expect(store.abort(created.handle)).resolves.toBeUndefined();

    // An empty folder the operator had: it stays, emptied; a file something else put in a folder of the save stays with its folder.
    const existing = await tempDir();
    const { handle } = await store.begin(existing);
    await store.write(handle, 'a/b/c.txt', b64('c'));
    await store.write(handle, 'top.txt', b64('t'));
    await writeFile(path.join(existing, 'a', 'someone-else.txt'), 'x');
    await store.abort(handle);
    expect(await tree(existing)).toEqual(['a', 'a/someone-else.txt']);
    expect(JSON.stringify(lines())).not.toContain('c.txt');
  });

  it('drops a save unused for its idle time, removing what it wrote', async () => {
    const { store } = saves({ idleMs: 150 });
    const parent = await tempDir();
    const { handle } = await store.begin(path.join(parent, 'dataset'));
    await store.write(handle, 'a/b.txt', b64('b'));
    // Each write restarts the clock.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.write(handle, 'a/b.txt', b64('b'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await tree(parent)).toEqual(['dataset', 'dataset/a', 'dataset/a/b.txt']);
    await expect.poll(() => readdir(parent), { timeout: 2_000, interval: 50 }).toEqual([]);
    expect(store.open).toBe(0);
    expect(await codeOf(store.write(handle, 'a/c.txt', b64('c')))).toBe('E_CONFLICT');
  });

  it('through the body: a clinical session saves; stopping removes an unfinished save; the browser shell has no folder dialog, the desktop app has', async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    let stopped = false;
    cleanup(async () => {
      if (!stopped) await body.stop('quit');
    });
    const vault = await makeTestVault();
    await call(body, 'vault.create', { keyring: vault.keyring });
    // No session: refused before anything is made.
    const parent = await tempDir();
    expect(await codeOf(call(body, 'network.datasetSaveBegin', { folder: path.join(parent, 'refused') }))).toBe('E_FORBIDDEN');
    await signIn(body, vault);

    const folder = path.join(parent, 'saved');
    const { handle } = await call(body, 'network.datasetSaveBegin', { folder });
    await expect(call(body, 'network.datasetSaveWrite', { handle, path: 'release/report.json', data: b64('{}') })).resolves.toEqual({ bytes: 2 });
    await expect(call(body, 'network.datasetSaveFinish', { handle })).resolves.toEqual({ folder, files: 1, bytes: 2 });
    const unfinished = path.join(parent, 'unfinished');
    const open = await call(body, 'network.datasetSaveBegin', { folder: unfinished });
    await call(body, 'network.datasetSaveWrite', { handle: open.handle, path: 'a/b.ndjson', data: b64('{}\n') });
    await expect(call(body, 'network.datasetSaveAbort', { handle: '0'.repeat(32) })).resolves.toEqual({});

    await expect(call(body, 'network.chooseFolder', {})).rejects.toMatchObject({ code: 'E_UNAVAILABLE', message: 'The browser shell has no folder dialog: type the folder\'s path.' });
    stopped = true;
    await body.stop('quit');
    expect(await tree(parent)).toEqual(['saved', 'saved/release', 'saved/release/report.json']);

    const desktop = await startBody({ dataDir: await tempDir(), host: 'electron', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0, datasetDialogs: { chooseFolder: () => Promise.resolve('/home/researcher/datasets') } });
    cleanup(() => desktop.stop('quit'));
    const desktopVault = await makeTestVault();
    await call(desktop, 'vault.create', { keyring: desktopVault.keyring });
    await signIn(desktop, desktopVault);
    await expect(call(desktop, 'network.chooseFolder', {})).resolves.toEqual({ path: '/home/researcher/datasets' });
  });
});
