import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeErrorForLog } from '../../../electron/logging/error-report';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

describe('describeErrorForLog and system errors', () => {
  it("keeps a file system error's code (EMFILE, ENOENT: why a read failed), never its message or path", async () => {
    const missing = path.join(await tempDir(), 'Jane Doe', 'keys.json');
    const error = await readFile(missing).catch((thrown: unknown) => thrown);
    const described = describeErrorForLog(error);
    expect(described).toMatchObject({ errorClass: 'Error', code: 'ENOENT' });
    expect(JSON.stringify(described)).not.toContain('Jane Doe');
  });

  it('keeps only codes shaped like a system or node code', () => {
    const quoting = Object.assign(new Error('x'), { code: 'DOE^JANE' });
    expect(describeErrorForLog(quoting)).not.toHaveProperty('code');
    expect(describeErrorForLog(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
