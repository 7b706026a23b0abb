// Regenerates the committed test vectors: `node --import tsx test/shared/crypto/vectors/generate-vectors.ts`.
// Only needed if the formats change on purpose (a new version); the tests check the committed bytes.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fromHex, toHex } from '../../../../shared/crypto/bytes';
import { createSealer } from '../../../../shared/crypto/envelope';
import type { EnvelopeKind } from '../../../../shared/crypto/envelope-format';
import { importP256PrivateScalar } from '../../../../shared/crypto/p256-keys';
import { blindTokens, prefixTokens } from '../../../../shared/crypto/blind-index';
import { formatRecoveryKey } from '../../../../shared/crypto/recovery-key';
import { deriveIdentitySeed, deriveOperatorId, deriveVaultKeys, intakeKeyFingerprint } from '../../../../shared/crypto/vault-keys';

const sha256 = (label: string): string => createHash('sha256').update(label).digest('hex');

/** Deterministic bytes: SHA-256 in counter mode over a label. */
function stream(label: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length * 2; i++) out += sha256(`${label}/${i}`);
  return out.slice(0, length * 2);
}

export interface EnvelopeVector {
  readonly name: string;
  readonly kind: EnvelopeKind;
  readonly chunkSize: number;
  readonly intakePrivateScalar: string;
  readonly intakePublicKey: string;
  readonly ephemeralPrivateScalar: string;
  /** What `random` returns, in order: salt (16) ‖ data key (32) ‖ nonce prefix (7). */
  readonly random: string;
  readonly plaintext: string;
  readonly envelope: string;
}

export interface VaultKeysVector {
  readonly master: string;
  readonly intakePublicKey: string;
  readonly intakeFingerprint: string;
  readonly identitySeed: string;
  readonly operatorId: { readonly localAccountId: string; readonly pseudonym: string };
  readonly blindTokens: { readonly words: string[]; readonly tokens: string[] };
  readonly prefixTokens: { readonly words: string[]; readonly tokens: string[] };
  readonly recoveryKey: { readonly key: string; readonly formatted: string };
}

async function main(): Promise<void> {
  const intakePrivateScalar = sha256('hdms test vector intake key');
  const ephemeralPrivateScalar = sha256('hdms test vector ephemeral key');
  const intake = await importP256PrivateScalar(fromHex(intakePrivateScalar));
  const cases: { name: string; kind: EnvelopeKind; chunkSize: number; plaintext: string }[] = [
    { name: 'empty plaintext: one empty last chunk', kind: 'object', chunkSize: 1024, plaintext: '' },
    { name: 'one byte', kind: 'object', chunkSize: 1024, plaintext: '41' },
    { name: 'exactly one chunk: the full chunk is the last', kind: 'journalMetadata', chunkSize: 1024, plaintext: stream('one chunk', 1024) },
    { name: 'one chunk and one byte', kind: 'object', chunkSize: 1024, plaintext: stream('chunk plus one', 1025) },
    { name: 'three chunks, exact multiple', kind: 'backup', chunkSize: 1024, plaintext: stream('three chunks', 3072) },
    { name: 'several chunks, short last', kind: 'object', chunkSize: 1024, plaintext: stream('several', 4000) },
    { name: 'HL7 text, default chunk size', kind: 'object', chunkSize: 65536, plaintext: Buffer.from('MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20240101120000||ORU^R01|MSG00001|P|2.5\r', 'latin1').toString('hex') },
  ];
  const vectors: EnvelopeVector[] = [];
  for (const [index, item] of cases.entries()) {
    const random = stream(`random ${index}`, 55);
    let offset = 0;
    const source = fromHex(random);
    const sealer = await createSealer(intake.publicKeyRaw, {
      chunkSize: item.chunkSize,
      ephemeralPrivateScalar: fromHex(ephemeralPrivateScalar),
      random: (length) => source.slice(offset, (offset += length)),
    });
    const envelope = await sealer.seal(item.kind, fromHex(item.plaintext));
    vectors.push({ ...item, intakePrivateScalar, intakePublicKey: toHex(intake.publicKeyRaw), ephemeralPrivateScalar, random, envelope: toHex(envelope) });
  }
  const here = new URL('.', import.meta.url);
  writeFileSync(new URL('envelope-v1.json', here), `${JSON.stringify({ format: 'HDMS sealed envelope v1', vectors }, null, 2)}\n`);

  const master = sha256('hdms test vector master secret');
  const keys = await deriveVaultKeys(fromHex(master));
  const recoveryKey = sha256('hdms test vector recovery key');
  const vault: VaultKeysVector = {
    master,
    intakePublicKey: toHex(keys.intakeKeyPair.publicKeyRaw),
    intakeFingerprint: await intakeKeyFingerprint(keys.intakeKeyPair.publicKeyRaw),
    identitySeed: toHex(await deriveIdentitySeed(fromHex(master))),
    operatorId: { localAccountId: 'account-1', pseudonym: await deriveOperatorId(keys.ledgerKey, 'account-1') },
    blindTokens: { words: ['muller', 'mrn000123'], tokens: await blindTokens(keys.indexKey, ['muller', 'mrn000123']) },
    prefixTokens: { words: ['muller'], tokens: await prefixTokens(keys.indexKey, ['muller']) },
    recoveryKey: { key: recoveryKey, formatted: await formatRecoveryKey(fromHex(recoveryKey)) },
  };
  writeFileSync(new URL('vault-keys-v1.json', here), `${JSON.stringify(vault, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
