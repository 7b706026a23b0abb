import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/bytes';
import { collectBytes, createOpener, createSealer } from '../../shared/crypto/envelope';
import { unwrapSlot } from '../../shared/crypto/key-slots';
import { importP256PrivateScalar } from '../../shared/crypto/p256-keys';
import type * as bytesModule from '../../shared/crypto/bytes';
import type * as envelopeModule from '../../shared/crypto/envelope';
import type * as keySlotsModule from '../../shared/crypto/key-slots';
import type * as p256Module from '../../shared/crypto/p256-keys';
import type * as recoveryKeyModule from '../../shared/crypto/recovery-key';
import type * as vaultKeysModule from '../../shared/crypto/vault-keys';
import { launchBrowser } from '../support/chromium';
import { REPO_ROOT } from '../support/repo-paths';
import type { EnvelopeVector, VaultKeysVector } from '../shared/crypto/vectors/generate-vectors';

/**
 * shared/crypto must behave identically in Node and in Chromium (the body seals, the mind opens).
 * This bundles shared/crypto with esbuild, loads it in a real Chromium page under a CSP as strict
 * as the renderer's (no eval, no WebAssembly), and exchanges envelopes both ways.
 */
const ORIGIN = 'https://crypto.test'; // a secure context (WebCrypto needs one), served by page.route
const VECTORS_DIR = path.join(REPO_ROOT, 'test', 'shared', 'crypto', 'vectors');
const envelopeVectors = (JSON.parse(readFileSync(path.join(VECTORS_DIR, 'envelope-v1.json'), 'utf8')) as { vectors: EnvelopeVector[] }).vectors;
const vaultVector = JSON.parse(readFileSync(path.join(VECTORS_DIR, 'vault-keys-v1.json'), 'utf8')) as VaultKeysVector;

const ENTRY = `
export * as bytes from './bytes';
export * as envelope from './envelope';
export * as p256 from './p256-keys';
export * as vaultKeys from './vault-keys';
export * as keySlots from './key-slots';
export * as recoveryKey from './recovery-key';
export * as fieldCipher from './field-cipher';
export * as blindIndex from './blind-index';
`;

interface Bundle {
  bytes: typeof bytesModule;
  envelope: typeof envelopeModule;
  p256: typeof p256Module;
  vaultKeys: typeof vaultKeysModule;
  keySlots: typeof keySlotsModule;
  recoveryKey: typeof recoveryKeyModule;
}
declare const hdmsCrypto: Bundle;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  const bundle = await build({
    stdin: { contents: ENTRY, resolveDir: path.join(REPO_ROOT, 'shared', 'crypto'), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'hdmsCrypto',
    platform: 'browser',
    target: 'chrome120',
  });
  const script = bundle.outputFiles[0]!.text;
  browser = await launchBrowser();
  page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/crypto.js') return route.fulfill({ contentType: 'text/javascript', body: script });
    return route.fulfill({
      contentType: 'text/html',
      headers: { 'content-security-policy': "default-src 'none'; script-src 'self'" },
      body: '<!doctype html><meta charset="utf-8"><title>crypto</title><script src="/crypto.js"></script>',
    });
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => typeof (globalThis as { hdmsCrypto?: unknown }).hdmsCrypto === 'object');
  expect(await page.evaluate(() => globalThis.isSecureContext)).toBe(true);
  expect(violations).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

describe('shared/crypto in Chromium', () => {
  it('derives the same P-256 public key from a scalar (PKCS#8 without the public key)', async () => {
    const publicKey = await page.evaluate(async (master) => {
      const keys = await hdmsCrypto.vaultKeys.deriveVaultKeys(hdmsCrypto.bytes.fromHex(master));
      return hdmsCrypto.bytes.toHex(keys.intakeKeyPair.publicKeyRaw);
    }, vaultVector.master);
    expect(publicKey).toBe(vaultVector.intakePublicKey);
  });

  it('opens every Node-sealed vector and reseals it to the same bytes', async () => {
    const results = await page.evaluate(async (vectors) => {
      const { bytes, envelope, p256 } = hdmsCrypto;
      const out: { plaintext: string; resealed: string }[] = [];
      for (const vector of vectors) {
        const intake = await p256.importP256PrivateScalar(bytes.fromHex(vector.intakePrivateScalar));
        const opened = await envelope.createOpener(intake.privateKey).open(bytes.fromHex(vector.envelope));
        const random = bytes.fromHex(vector.random);
        let offset = 0;
        const sealer = await envelope.createSealer(intake.publicKeyRaw, {
          chunkSize: vector.chunkSize,
          ephemeralPrivateScalar: bytes.fromHex(vector.ephemeralPrivateScalar),
          random: (length) => random.slice(offset, (offset += length)),
        });
        const resealed = await envelope.collectBytes(sealer.sealStream(vector.kind, [bytes.fromHex(vector.plaintext)]));
        out.push({ plaintext: bytes.toHex(opened.plaintext), resealed: bytes.toHex(resealed) });
      }
      return out;
    }, envelopeVectors);
    results.forEach((result, index) => {
      expect(result.plaintext).toBe(envelopeVectors[index]!.plaintext);
      expect(result.resealed).toBe(envelopeVectors[index]!.envelope);
    });
  });

  it('seals with fresh randomness in Chromium what Node opens, streamed both ways', async () => {
    const intake = await importP256PrivateScalar(fromHex(envelopeVectors[0]!.intakePrivateScalar));
    const sealedHex = await page.evaluate(async (publicKeyHex) => {
      const { bytes, envelope } = hdmsCrypto;
      const sealer = await envelope.createSealer(bytes.fromHex(publicKeyHex), { chunkSize: 4096 });
      const plaintext = new Uint8Array(50_000).map((_, i) => (i * 31) & 0xff);
      const source = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < plaintext.length; i += 7000) controller.enqueue(plaintext.slice(i, i + 7000));
          controller.close();
        },
      });
      return bytes.toHex(await envelope.collectBytes(sealer.sealStream('object', source)));
    }, toHex(intake.publicKeyRaw));
    const opened = await createOpener(intake.privateKey).openStream([fromHex(sealedHex)]);
    const plaintext = await collectBytes(opened.plaintext);
    expect(plaintext.length).toBe(50_000);
    expect(plaintext.every((byte, i) => byte === ((i * 31) & 0xff))).toBe(true);
  });

  it('opens in Chromium, as a stream, what Node seals with fresh randomness', async () => {
    const master = fromHex(vaultVector.master);
    const { deriveVaultKeys } = await import('../../shared/crypto/vault-keys');
    const keys = await deriveVaultKeys(master);
    const sealer = await createSealer(keys.intakeKeyPair.publicKeyRaw, { chunkSize: 1024 });
    const plaintext = new TextEncoder().encode('MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20240101||ORU^R01|1|P|2.5\r'.repeat(100));
    const sealed = await sealer.seal('journalMetadata', plaintext);
    const result = await page.evaluate(
      async ([masterHex, sealedHex]) => {
        const { bytes, envelope, vaultKeys } = hdmsCrypto;
        const chromiumKeys = await vaultKeys.deriveVaultKeys(bytes.fromHex(masterHex));
        const data = bytes.fromHex(sealedHex);
        const opened = await envelope.createOpener(chromiumKeys.intakeKeyPair.privateKey).openStream([data.subarray(0, 100), data.subarray(100)]);
        return { kind: opened.kind, text: new TextDecoder().decode(await envelope.collectBytes(opened.plaintext)) };
      },
      [vaultVector.master, toHex(sealed)] as const,
    );
    expect(result.kind).toBe('journalMetadata');
    expect(result.text).toBe(new TextDecoder().decode(plaintext));
  });

  it('detects tampering in Chromium with the same error codes', async () => {
    const vector = envelopeVectors[5]!; // several chunks
    const codes = await page.evaluate(async (item) => {
      const { bytes, envelope, p256 } = hdmsCrypto;
      const intake = await p256.importP256PrivateScalar(bytes.fromHex(item.intakePrivateScalar));
      const opener = envelope.createOpener(intake.privateKey);
      const sealed = bytes.fromHex(item.envelope);
      const flipped = sealed.slice();
      flipped[flipped.length - 1]! ^= 1;
      const attempts = [flipped, sealed.subarray(0, 140 + 1040), sealed.subarray(0, 100)];
      return Promise.all(attempts.map((data) => opener.open(data).then(() => 'opened', (error: { code?: string }) => error.code ?? 'other')));
    }, vector);
    expect(codes).toEqual(['E_ENVELOPE_AUTH', 'E_ENVELOPE_TRUNCATED', 'E_ENVELOPE_TRUNCATED']);
  });

  it('a passphrase slot made in Chromium (PBKDF2 under the strict CSP) opens in Node', async () => {
    const slotJson = await page.evaluate(async () => {
      const { keySlots } = hdmsCrypto;
      const master = new Uint8Array(32).fill(7);
      const slot = await keySlots.createPassphraseSlot({ master, passphrase: 'Grüße aus der Praxis', operatorId: 'account-1', testOnlyIterations: 2000 });
      return JSON.stringify(slot);
    });
    const master = await unwrapSlot(JSON.parse(slotJson), 'Grüße aus der Praxis');
    expect(Array.from(master)).toEqual(new Array(32).fill(7));
    const formatted = await page.evaluate(async (key) => hdmsCrypto.recoveryKey.formatRecoveryKey(hdmsCrypto.bytes.fromHex(key)), vaultVector.recoveryKey.key);
    expect(formatted).toBe(vaultVector.recoveryKey.formatted);
  });
});
