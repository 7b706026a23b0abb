import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The lint rules that keep the runtimes apart (design §1, §6), exercised on small sources placed
 * at real paths of the tree: each forbidden import must be reported, each allowed one must not.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });
// The sources below exist at no path on disk, so no TypeScript project holds them: these checks run
// without type information (the type-aware rules, checked separately below, are off for them).
const untyped = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

async function restrictedImportErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await untyped.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports' || message.ruleId === 'no-restricted-globals')
    .map((message) => message.message);
}

describe('runtime boundaries', () => {
  it.each([
    ['shared/ipc/x.ts', "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n"],
    ['shared/ipc/x.ts', "import path from 'path';\nexport const x = path;\n"],
    ['shared/ipc/x.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['shared/ipc/x.ts', "import { startBody } from '../../electron/body';\nexport const x = startBody;\n"],
    ['shared/ipc/x.ts', 'export const x = document.title;\n'],
    ['shared/ipc/x.ts', 'export const x = Buffer.from("a");\n'],
    ['shared/journal/x.ts', "import { createHmac } from 'node:crypto';\nexport const x = createHmac;\n"],
    ['shared/journal/x.ts', "import { openVaultDb } from '../../renderer/vault/views/vault-db';\nexport const x = openVaultDb;\n"],
    ['shared/journal/x.ts', 'export const x = window.indexedDB;\n'],
    ['renderer/features/x.ts', "import { readFile } from 'node:fs';\nexport const x = readFile;\n"],
    ['renderer/features/x.ts', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n"],
    ['renderer/features/x.ts', "import { startBody } from '../../electron/body';\nexport const x = startBody;\n"],
    ['renderer/features/x.ts', 'export const x = process.env;\n'],
    ['renderer/features/x.ts', "import { randomBytes } from 'crypto';\nexport const x = randomBytes;\n"],
    ['electron/intake/x.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['electron/intake/x.ts', "import { App } from '../../renderer/app/App';\nexport const x = App;\n"],
  ])('%s: forbids %j', async (filePath, code) => {
    expect(await restrictedImportErrors(filePath, code)).not.toEqual([]);
  });

  it.each([
    ['shared/ipc/x.ts', "import { z } from 'zod';\nexport const x = z.string();\n"],
    ['shared/journal/x.ts', "import { NormalizedIntakeSchema } from '../domain/clinical';\nexport const x = NormalizedIntakeSchema;\n"],
    ['electron/intake/x.ts', "import { INTAKE_KINDS } from '../../shared/journal/journal-kinds';\nexport const x = INTAKE_KINDS;\n"],
    ['renderer/vault/x.ts', "import { AccessMetaSchema } from '../../shared/journal/mind-meta';\nexport const x = AccessMetaSchema;\n"],
    ['renderer/features/x.ts', "import { methods } from '../../shared/ipc/contract';\nexport const x = methods;\n"],
    ['renderer/vault/x.ts', "import { createSealer } from '../../shared/crypto/envelope';\nexport const x = createSealer;\n"],
    ['electron/intake/x.ts', "import type { WebContents } from 'electron';\nexport type X = WebContents;\n"],
    ['electron/intake/x.ts', "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n"],
    ['electron/main.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['electron/preload.ts', "import { contextBridge } from 'electron';\nexport const x = contextBridge;\n"],
    ['electron/ipc/electron-ipc-binding.ts', "import { ipcMain } from 'electron';\nexport const x = ipcMain;\n"],
  ])('%s: allows %j', async (filePath, code) => {
    expect(await restrictedImportErrors(filePath, code)).toEqual([]);
  });
});

describe('type-aware lint rules', () => {
  it.each(['electron/body.ts', 'renderer/vault/create-vault-service.ts', 'shared/ipc/contract.ts', 'test/electron/body.test.ts'])(
    '%s: floating and misused promises are errors',
    async (filePath) => {
      const config = (await eslint.calculateConfigForFile(filePath)) as { rules: Record<string, unknown> };
      for (const rule of ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises']) {
        const setting = config.rules[rule];
        expect(Array.isArray(setting) ? setting[0] : setting, rule).toBe(2);
      }
    },
  );
});
