import { describe, expect, it } from 'vitest';
import { createOpener, createSealer } from '../../../../../../shared/crypto/envelope';
import { InstanceDecoder } from '../../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { nodeCodecs } from '../node-codecs';
import { ctSlice, TS } from '../viewer-fixtures';

/**
 * The viewer hands the decode worker an instance sealed, with its envelope's data key, so the
 * decryption runs in the worker and not on the page's thread.
 */
describe('instance decoder, sealed instances', () => {
  async function sealedSlice() {
    const intake = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const sealer = await createSealer(intake.publicKey, { chunkSize: 4096 });
    const opener = createOpener(intake.privateKey);
    const bytes = new Uint8Array(ctSlice({ size: 64, transferSyntax: TS.explicitLittle, sopInstanceUid: '2.25.7001' }));
    const envelope = await sealer.seal('object', bytes);
    return { bytes, envelope, opener, dataKey: await opener.unwrapDataKey(envelope) };
  }

  it('opens an envelope with its data key and decodes it as it would the plain bytes', async () => {
    const { bytes, envelope, dataKey } = await sealedSlice();
    const fromSealed = await new InstanceDecoder(nodeCodecs()).open('sealed', { envelope, dataKey }, true);
    const fromPlain = await new InstanceDecoder(nodeCodecs()).open('plain', bytes, true);
    expect(fromSealed.kind).toBe('image');
    expect(fromSealed.first).not.toBeNull();
    expect(fromSealed.first).toEqual(fromPlain.first);
  });

  it('refuses an altered envelope and one opened with another data key', async () => {
    const { envelope, dataKey } = await sealedSlice();
    const altered = envelope.slice();
    altered[altered.length - 100]! ^= 1;
    await expect(new InstanceDecoder(nodeCodecs()).open('altered', { envelope: altered, dataKey }, true)).rejects.toThrow();
    const other = await sealedSlice();
    await expect(new InstanceDecoder(nodeCodecs()).open('other', { envelope, dataKey: other.dataKey }, true)).rejects.toThrow();
  });
});
