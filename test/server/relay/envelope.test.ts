import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../../shared/transparency/bytes';
import {
  envelopeSize,
  openMessage,
  RELAY_SEAL_OVERHEAD,
  RelayEnvelopeError,
  RelayEnvelopeSchema,
  relayHeader,
  relaySignedDigest,
  roleRecipients,
  sealBroadcast,
  sealMessage,
  type RelayEnvelope,
} from '../../../shared/network/relay';
import { walletRequestSigner } from '../../../shared/network/signed-request';
import type { NetworkMap } from '../../../shared/network/network-map';
import { newRelayNode, seal, type RelayNode } from './support/relay-fixtures';

/**
 * The relay envelope (shared/network/relay.ts) without a server: what the recipient opens, and every
 * envelope it must refuse.
 */
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const anyone = (): boolean => true;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RelayEnvelopeError) return error.code;
    throw error;
  }
  return 'opened';
}

describe('relay envelope', () => {
  let alice: RelayNode;
  let bob: RelayNode;
  let carol: RelayNode;

  beforeAll(async () => {
    [alice, bob, carol] = await Promise.all([newRelayNode(), newRelayNode(), newRelayNode()]);
  });

  it('round-trips: the recipient gets the payload and who signed it; the outer fields say nothing else', async () => {
    const envelope = await seal(alice, bob, 'Lab results for request 42 are ready.');
    expect(Object.keys(envelope).sort()).toEqual(['createdAt', 'ct', 'epk', 'expiresAt', 'from', 'id', 'iv', 'role', 'to', 'v']);
    expect(JSON.stringify(envelope)).not.toContain('Lab results');
    expect(envelopeSize(envelope)).toBe(new TextEncoder().encode('Lab results for request 42 are ready.').length + RELAY_SEAL_OVERHEAD);
    const opened = await openMessage(envelope, bob.messagePrivateKey, bob.wallet.address, { resolveSender: (address) => address === alice.wallet.address });
    expect(text(opened.payload)).toBe('Lab results for request 42 are ready.');
    expect(opened).toMatchObject({ id: envelope.id, from: alice.wallet.address, to: bob.wallet.address, role: null });
    // Same payload twice: fresh ephemeral key and nonce, so nothing repeats.
    const again = await seal(alice, bob, 'Lab results for request 42 are ready.');
    expect(again.ct).not.toBe(envelope.ct);
    expect(again.epk).not.toBe(envelope.epk);
  });

  it('opens an empty payload and a large one', async () => {
    const big = crypto.getRandomValues(new Uint8Array(60_000));
    for (const payload of [new Uint8Array(0), big]) {
      const opened = await openMessage(await seal(alice, bob, payload), bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone });
      expect(opened.payload).toEqual(payload);
    }
  });

  it('refuses another recipient, and another key for the right address', async () => {
    const envelope = await seal(alice, bob, 'for bob');
    expect(await refusal(openMessage(envelope, carol.messagePrivateKey, carol.wallet.address, { resolveSender: anyone }))).toBe('wrong_recipient');
    expect(await refusal(openMessage(envelope, carol.messagePrivateKey, bob.wallet.address, { resolveSender: anyone }))).toBe('undecryptable');
  });

  it('refuses a tampered ciphertext, iv or ephemeral key', async () => {
    const envelope = await seal(alice, bob, 'untouched');
    const flip = (b64: string, at: number): string => {
      const bytes = fromBase64(b64)!;
      bytes[at % bytes.length]! ^= 1;
      return toBase64(bytes);
    };
    for (const tampered of [{ ...envelope, ct: flip(envelope.ct, 3) }, { ...envelope, ct: flip(envelope.ct, -1 >>> 0) }, { ...envelope, iv: flip(envelope.iv, 0) }]) {
      expect(await refusal(openMessage(tampered, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone }))).toBe('undecryptable');
    }
    const other = await seal(carol, bob, 'untouched');
    expect(await refusal(openMessage({ ...envelope, epk: other.epk }, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone }))).toBe('undecryptable');
  });

  it('refuses a changed outer header: id, sender, times, role (the header is the AAD and the key is bound to from, to and id)', async () => {
    const envelope = await seal(alice, bob, 'header bound');
    const changes: Partial<RelayEnvelope>[] = [
      { id: 'ab'.repeat(16) },
      { from: carol.wallet.address },
      { createdAt: envelope.createdAt - 1 },
      { expiresAt: envelope.expiresAt + 1000 },
      { role: 'research' },
    ];
    for (const change of changes) {
      expect(await refusal(openMessage({ ...envelope, ...change }, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone }))).toBe('undecryptable');
    }
  });

  it('refuses a message whose inner signature is not by its sender, and a sender the map does not know', async () => {
    // Mallory seals with Alice's name on the envelope but her own identity key.
    const mallory = new Wallet(Wallet.createRandom().privateKey);
    const forgedSigner = { address: alice.wallet.address, signDigest: (digest: string) => mallory.signingKey.sign(digest) };
    const forged = await sealMessage({ signer: forgedSigner, recipient: bob.wallet.address, recipientMessageKey: bob.messageKey, payload: new TextEncoder().encode('I am Alice'), ttlMs: 60_000 });
    expect(await refusal(openMessage(forged, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone }))).toBe('bad_signature');
    // A valid message from a sender who is not (or no longer) a member.
    const envelope = await seal(alice, bob, 'from a former member');
    expect(await refusal(openMessage(envelope, bob.messagePrivateKey, bob.wallet.address, { resolveSender: () => false }))).toBe('unknown_sender');
  });

  it('refuses an expired message and one dated in the future', async () => {
    const now = Date.now();
    const envelope = await seal(alice, bob, 'short lived', { ttlMs: 1000, now });
    expect(await refusal(openMessage(envelope, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone, now: now + 999 }))).toBe('opened');
    expect(await refusal(openMessage(envelope, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone, now: now + 1000 }))).toBe('expired');
    const future = await seal(alice, bob, 'from the future', { now: now + 3600_000 });
    expect(await refusal(openMessage(future, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone, now }))).toBe('not_yet_valid');
  });

  it('refuses malformed envelopes and payloads over the network\'s size', async () => {
    const envelope = await seal(alice, bob, 'x');
    for (const bad of [null, {}, { ...envelope, extra: 1 }, { ...envelope, v: 2 }, { ...envelope, ct: `${envelope.ct}A` }, { ...envelope, to: envelope.to.toLowerCase() }, { ...envelope, expiresAt: envelope.createdAt }]) {
      expect(await refusal(openMessage(bad, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone }))).toBe('malformed');
    }
    await expect(sealMessage({ signer: alice.signer, recipient: bob.wallet.address, recipientMessageKey: bob.messageKey, payload: new Uint8Array(100), ttlMs: 1000, maxMessageSize: 100 })).rejects.toMatchObject({ code: 'too_large' });
    const large = await seal(alice, bob, new Uint8Array(100));
    expect(await refusal(openMessage(large, bob.messagePrivateKey, bob.wallet.address, { resolveSender: anyone, maxMessageSize: 100 }))).toBe('malformed');
  });

  it('signs the documented digest: SHA-256 of the header lines and the payload hash', async () => {
    const header = { id: '00'.repeat(16), from: alice.wallet.address, to: bob.wallet.address, role: null, createdAt: 1, expiresAt: 2 };
    expect(relayHeader(header)).toBe(['hdms-relay-v1', '0'.repeat(32), alice.wallet.address, bob.wallet.address, '', '1', '2'].join('\n'));
    expect(relaySignedDigest(header, new Uint8Array(0))).toMatch(/^0x[0-9a-f]{64}$/);
    expect(relaySignedDigest({ ...header, role: 'research' }, new Uint8Array(0))).not.toBe(relaySignedDigest(header, new Uint8Array(0)));
  });

  it('broadcasts: one envelope per member of the role, one id, each only for its recipient', async () => {
    const members = [alice, bob, carol];
    const map = {
      members: members.map((node, i) => ({ certificate: { member: node.wallet.address, roles: i === 1 ? ['clinic'] : ['research'], messageKey: node.messageKey } })),
    } as unknown as NetworkMap;
    const recipients = roleRecipients(map, 'research', alice.wallet.address);
    expect(recipients.map((r) => r.address)).toEqual([carol.wallet.address]);
    const everyone = roleRecipients(map, 'research', bob.wallet.address);
    const envelopes = await sealBroadcast({ signer: walletRequestSigner(bob.wallet), role: 'research', recipients: everyone, payload: new TextEncoder().encode('call for data'), ttlMs: 60_000 });
    expect(envelopes).toHaveLength(2);
    expect(new Set(envelopes.map((e) => e.id)).size).toBe(1);
    expect(envelopes.every((e) => e.role === 'research' && RelayEnvelopeSchema.safeParse(e).success)).toBe(true);
    for (const envelope of envelopes) {
      const node = members.find((m) => m.wallet.address === envelope.to)!;
      const opened = await openMessage(envelope, node.messagePrivateKey, node.wallet.address, { resolveSender: anyone });
      expect(opened).toMatchObject({ from: bob.wallet.address, role: 'research' });
      const other = members.find((m) => m !== node && m !== bob)!;
      expect(await refusal(openMessage({ ...envelope, to: other.wallet.address }, other.messagePrivateKey, other.wallet.address, { resolveSender: anyone }))).toBe('undecryptable');
    }
  });
});
