import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportFiles } from '../../../electron/ledger/export-files';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

describe('ExportFiles', () => {
  it('hands back at finish what was given at begin (who asked) and the lines written, so nothing about an export lives outside it', async () => {
    const files = new ExportFiles<{ readonly operatorId: string }>(await tempDir());
    const { handle } = await files.begin('ledger', { operatorId: 'op-1' });
    await files.append(handle, '{"format":"x"}\n{"entry":1}\n');
    await files.append(handle, '{"entry":2}\n');
    const written = await files.finish(handle);
    expect(written).toMatchObject({ bytes: 39, lines: 3, tag: { operatorId: 'op-1' } });
    expect(await readFile(written.path, 'utf8')).toBe('{"format":"x"}\n{"entry":1}\n{"entry":2}\n');
    // Finished: the handle and what it carried are gone.
    await expect(files.finish(handle)).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('an export begun without a tag finishes with none', async () => {
    const files = new ExportFiles(await tempDir());
    const { handle } = await files.begin('ledger');
    await files.append(handle, 'a\n');
    expect(await files.finish(handle)).toMatchObject({ bytes: 2, lines: 1, tag: undefined });
  });

  it('removeLeftovers deletes temp files no export of this process is writing, and nothing else', async () => {
    const files = new ExportFiles(await tempDir());
    const { handle } = await files.begin('ledger');
    await writeFile(path.join(files.dir, '.export-0123abcd.tmp'), '');
    await writeFile(path.join(files.dir, 'ledger-20250101T000000Z.jsonl'), 'x\n');
    expect(await files.removeLeftovers()).toBe(1);
    const names = await readdir(files.dir);
    expect(names).toHaveLength(2);
    expect(names).toContain('ledger-20250101T000000Z.jsonl');
    await files.append(handle, 'a\n');
    expect(await files.finish(handle)).toMatchObject({ bytes: 2 });
  });

  it('abortOwnedBy aborts the exports the closed connection began, not the others', async () => {
    const files = new ExportFiles(await tempDir());
    const mine = await files.begin('ledger', undefined, 'c1');
    const other = await files.begin('ledger', undefined, 'c2');
    await files.abortOwnedBy('c1');
    await expect(files.append(mine.handle, 'x')).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect(await files.append(other.handle, 'x')).toEqual({ bytes: 1 });
    await files.abort(other.handle);
    expect(await readdir(files.dir)).toEqual([]);
  });
});
