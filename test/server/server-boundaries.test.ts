import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The network server is its own deployable (design §6, §10): server/ imports nothing from electron/
 * or renderer/, and the app (electron/, renderer/, shared/) never imports server/. Checked through
 * the repository's lint rules on small sources placed at real paths.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const untyped = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

async function restrictedImportErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await untyped.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('server boundaries', () => {
  it.each([
    ['server/doorman/x.ts', "import { startBody } from '../../electron/body';\nexport const x = startBody;\n"],
    ['server/doorman/x.ts', "import { App } from '../../renderer/app/App';\nexport const x = App;\n"],
    ['server/x.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['electron/network/x.ts', "import { migrate } from '../../server/storage/migrations';\nexport const x = migrate;\n"],
    ['electron/main.ts', "import { migrate } from '../server/storage/migrations';\nexport const x = migrate;\n"],
    ['renderer/features/x.ts', "import { migrate } from '../../server/storage/migrations';\nexport const x = migrate;\n"],
    ['shared/network/x.ts', "import { migrate } from '../../server/storage/migrations';\nexport const x = migrate;\n"],
    ['shared/network/x.ts', "import { createHash } from 'node:crypto';\nexport const x = createHash;\n"],
  ])('%s: forbids %j', async (filePath, code) => {
    expect(await restrictedImportErrors(filePath, code)).not.toEqual([]);
  });

  it.each([
    ['server/doorman/x.ts', "import { verifyJoinRequest } from '../../shared/network/membership';\nexport const x = verifyJoinRequest;\n"],
    ['server/storage/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['electron/network/x.ts', "import { signRequest } from '../../shared/network/signed-request';\nexport const x = signRequest;\n"],
  ])('%s: allows %j', async (filePath, code) => {
    expect(await restrictedImportErrors(filePath, code)).toEqual([]);
  });
});
