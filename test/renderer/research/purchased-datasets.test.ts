import { describe, expect, it } from 'vitest';
import { generateP256KeyPair } from '../../../shared/crypto/p256-keys';
import { openKeyShare, splitPackageKey, type KeyShare } from '../../../shared/research/package/key-split';
import { keyCommitment, newPackageKey } from '../../../shared/research/package/package-seal';
import { combineReleasedShares, previewOf } from '../../../renderer/research/purchased-datasets';

/**
 * The researcher's side of a delivery (issue 15 item 7), its pure parts: the released shares
 * combined into the key the NOTARIZED commitment names, a wrong share found and left out; and the
 * dataset page's file previews. The whole flow runs in test/integration/network-delivery.test.ts.
 */

const HASH = 'a1'.repeat(32);

async function released(n: number) {
  const key = newPackageKey();
  const binding = { purchaseId: 'purchase-X', ciphertextSha256: HASH, commitment: await keyCommitment(key, HASH) };
  const pairs = await Promise.all(Array.from({ length: n }, () => generateP256KeyPair()));
  const sealed = await splitPackageKey(
    key,
    pairs.map((pair, i) => ({ recipientId: `0xKeeper${i}`, publicKey: pair.publicKeyRaw })),
    binding,
  );
  const opened = await Promise.all(sealed.map((share, i) => openKeyShare(share, pairs[i]!.privateKey, { purchaseId: binding.purchaseId, recipientId: `0xKeeper${i}` })));
  return { key, binding, shares: opened.map((share, i) => ({ keeper: `0xKeeper${i}`, share })) };
}

/** A share whose secret bytes were changed (what a lying keeper would send): its binding fields still match. */
function corrupted(share: KeyShare): KeyShare {
  const bytes = new Uint8Array(share.share);
  bytes[0] = bytes[0]! ^ 0xff;
  return { ...share, share: bytes };
}

describe('combining the keepers’ released shares', () => {
  it('gives the package key from the first t shares, naming the keepers used', async () => {
    const { key, binding, shares } = await released(3);
    const combined = await combineReleasedShares(shares, 2, binding);
    expect(combined?.key).toEqual(key);
    expect(combined?.keepers).toEqual(['0xKeeper0', '0xKeeper1']);
  });

  it('leaves out a wrong share when enough others came: the commitment tells', async () => {
    const { key, binding, shares } = await released(5); // t = 3
    const lying = [shares[0]!, { ...shares[1]!, share: corrupted(shares[1]!.share) }, ...shares.slice(2)];
    const combined = await combineReleasedShares(lying, 3, binding);
    expect(combined?.key).toEqual(key);
    expect(combined?.keepers).not.toContain('0xKeeper1');
  });

  it('answers null when no t of them match the commitment (one of two is wrong), and for another package’s commitment', async () => {
    const { binding, shares } = await released(3);
    expect(await combineReleasedShares([shares[0]!, { ...shares[1]!, share: corrupted(shares[1]!.share) }], 2, binding)).toBeNull();
    const other = await released(3);
    expect(await combineReleasedShares(shares, 2, { ...binding, commitment: other.binding.commitment })).toBeNull();
  });
});

describe('the dataset page’s previews', () => {
  const encode = (text: string) => new TextEncoder().encode(text);

  it('shows a CSV file’s header and first rows, quotes and CRLF line ends understood', () => {
    const preview = previewOf('csv/Patient.csv', encode('id,pseudonym,gender,age,zip3\r\np1,"A, B",female,"90+",123\r\np2,C,male,45,456\r\n'));
    expect(preview).toEqual({ columns: ['id', 'pseudonym', 'gender', 'age', 'zip3'], rows: [['p1', 'A, B', 'female', '90+', '123'], ['p2', 'C', 'male', '45', '456']] });
  });

  it('shows NDJSON resources by id, subject, code, value and time; a line that is not JSON says so', () => {
    const line = JSON.stringify({ resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'HbA1c' }] }, valueQuantity: { value: 6.1, unit: '%' }, effectiveDateTime: '2024' });
    const preview = previewOf('fhir/Observation.ndjson', encode(`${line}\nnot json\n`));
    expect(preview.columns).toEqual(['id', 'subject', 'code', 'value', 'when']);
    expect(preview.rows).toEqual([
      ['o1', 'Patient/p1', 'HbA1c', '6.1 %', '2024'],
      ['(not JSON)', '', '', '', ''],
    ]);
  });

  it('drops a last line the preview cut in two, and shows nothing for other files', () => {
    // The preview reads the first 64 KiB: here the third line is longer than that.
    const head = encode(`a,b\nx,y\n${'z'.repeat(70_000)}\n`).subarray(0, 64 * 1024);
    expect(previewOf('csv/Big.csv', head)).toEqual({ columns: ['a', 'b'], rows: [['x', 'y']] });
    expect(previewOf('dicom/1/2/3.dcm', encode('DICM'))).toEqual({ columns: [], rows: [] });
  });
});
