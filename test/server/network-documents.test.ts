import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { canonicalRoles, compareAppVersions, networkFingerprint, type PinnedNetwork } from '../../shared/network/network-domain';
import { JoinRequestSchema, NetworkDocumentError, signCertificate, verifyCertificate, verifyJoinRequest } from '../../shared/network/membership';
import { signNetworkMap, verifyNetworkMap, type NetworkMap } from '../../shared/network/network-map';
import { joinRequestFor, newTestNode, signedJoin } from './support/member-client';

/** The shared network documents (shared/network): strict schemas, signatures, pinning. No server. */
const networkKey = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const pinned: PinnedNetwork = { address: networkKey.address, chainId: 31337 };

async function certificateFor(node = newTestNode(), serial = 1, signer: Wallet = networkKey) {
  const join = verifyJoinRequest(pinned, await signedJoin(node, pinned));
  return signCertificate(signer, pinned.chainId, {
    network: signer.address,
    member: node.wallet.address,
    identityKey: join.publicKey,
    legalName: join.request.legalName,
    country: join.request.country,
    roles: join.request.roles,
    messageKey: join.request.messageKey,
    joinRequest: join.hash,
    serial,
    issuedAt: 1_700_000_000_000,
  });
}

function mapWith(members: NetworkMap['members'], revocations: NetworkMap['revocations'] = [], epoch = 3): NetworkMap {
  return { epoch, issuedAt: 1_700_000_000_000, parameters: { name: 'Test Network', chainId: 31337, keys: { network: networkKey.address }, witnessQuorum: 1, maxMessageSize: 1024, minAppVersion: '0.1.0' }, members, revocations };
}

describe('JoinRequest', () => {
  const node = newTestNode();

  it('is strict: roles once and in order, an assigned ISO country, a printable name, no extra field', () => {
    const base = joinRequestFor(node, pinned);
    expect(JoinRequestSchema.safeParse(base).success).toBe(true);
    for (const bad of [
      { roles: ['witness', 'clinic'] },
      { roles: ['clinic', 'clinic'] },
      { roles: [] },
      { roles: ['admin'] },
      { country: 'ch' },
      { country: 'EU' },
      { legalName: ' Padded' },
      { legalName: 'Line\nbreak' },
      { legalName: 'Bidi\u202eoverride' },
      { appVersion: 'v1.0' },
      { messageKey: `0x02${'11'.repeat(32)}` },
      { extra: 1 },
    ]) {
      expect(JoinRequestSchema.safeParse({ ...base, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
    expect(canonicalRoles(['witness', 'clinic', 'witness'])).toEqual(['clinic', 'witness']);
  });

  it('verifies for its network and recovers the node\'s public key once; refuses another network or signer', async () => {
    const signed = await signedJoin(node, pinned);
    expect(verifyJoinRequest(pinned, signed).publicKey).toBe(node.wallet.signingKey.publicKey.toLowerCase());
    expect(() => verifyJoinRequest({ ...pinned, address: newTestNode().wallet.address }, signed)).toThrow(expect.objectContaining({ problem: 'network' }));
    expect(() => verifyJoinRequest({ ...pinned, chainId: 1 }, signed)).toThrow(expect.objectContaining({ problem: 'signature' }));
    const forged = { ...signed, request: { ...signed.request, roles: ['clinic', 'research', 'keeper', 'witness'] } };
    expect(() => verifyJoinRequest(pinned, forged)).toThrow(NetworkDocumentError);
  });
});

describe('MembershipCertificate and NetworkMap', () => {
  it('a certificate verifies only with the network key it names, and only for its member\'s key', async () => {
    const certificate = await certificateFor();
    expect(verifyCertificate(pinned, certificate)).toEqual(certificate);
    const rogue = new Wallet(Wallet.createRandom().privateKey);
    await expect(certificateFor(undefined, 1, rogue).then((c) => verifyCertificate(pinned, c))).rejects.toThrow(/another network/);
    const swapped = { ...certificate, certificate: { ...certificate.certificate, identityKey: newTestNode().wallet.signingKey.publicKey.toLowerCase() } };
    expect(() => verifyCertificate(pinned, swapped)).toThrow(/identity key is not its member's/);
  });

  it('a map verifies against the pinned key, keeps members sorted and unique, and never lists a revoked member', async () => {
    const a = await certificateFor(undefined, 1);
    const b = await certificateFor(undefined, 2);
    const sorted = [a, b].sort((x, y) => (x.certificate.member.toLowerCase() < y.certificate.member.toLowerCase() ? -1 : 1));
    const signed = await signNetworkMap(networkKey, mapWith(sorted));
    expect(verifyNetworkMap(pinned, signed).map.members).toHaveLength(2);
    expect(() => verifyNetworkMap(pinned, signed, { minEpoch: 4 })).toThrow(expect.objectContaining({ problem: 'epoch' }));
    await expect(signNetworkMap(networkKey, mapWith([...sorted].reverse()))).rejects.toThrow(/sorted/);
    await expect(signNetworkMap(networkKey, mapWith([sorted[0]!, sorted[0]!]))).rejects.toThrow(/sorted|twice/);
    await expect(signNetworkMap(networkKey, mapWith(sorted, [{ member: sorted[0]!.certificate.member, serial: 1, revokedAt: 1 }]))).rejects.toThrow(/revoked member/);
    const rogue = new Wallet(Wallet.createRandom().privateKey);
    const rogueMap = await signNetworkMap(rogue, { ...mapWith(sorted), parameters: { ...mapWith(sorted).parameters, keys: { network: rogue.address } } });
    expect(() => verifyNetworkMap(pinned, rogueMap)).toThrow(expect.objectContaining({ problem: 'network' }));
    expect(() => verifyNetworkMap(pinned, { ...rogueMap, map: signed.map })).toThrow(expect.objectContaining({ problem: 'signature' }));
    expect(() => verifyNetworkMap(pinned, { ...signed, extra: true })).toThrow(/unexpected field/);
  });
});

describe('the settlement parameters of a map (issue 15 item 2)', () => {
  const settlement = {
    chainId: 1337,
    rpcUrl: 'https://chain.example.org/rpc',
    token: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    escrow: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
    anchor: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
    confirmations: 2,
  };
  const withSettlement = (value = settlement): NetworkMap => ({ ...mapWith([]), parameters: { ...mapWith([]).parameters, settlement: value } });

  it('verifies with its settlement, which the signature covers: changed or stripped, the map is refused', async () => {
    const signed = await signNetworkMap(networkKey, withSettlement());
    expect(verifyNetworkMap(pinned, signed).map.parameters.settlement).toEqual(settlement);
    const redirected = { ...signed, map: withSettlement({ ...settlement, escrow: '0x0000000000000000000000000000000000000001' }) };
    expect(() => verifyNetworkMap(pinned, redirected)).toThrow(expect.objectContaining({ problem: 'signature' }));
    const { settlement: _dropped, ...bare } = signed.map.parameters;
    expect(() => verifyNetworkMap(pinned, { ...signed, map: { ...signed.map, parameters: bare } })).toThrow(expect.objectContaining({ problem: 'signature' }));
  });

  it('leaves maps without a settlement signed and verified as before (their type has no Settlement field)', async () => {
    const plain = await signNetworkMap(networkKey, mapWith([]));
    expect(verifyNetworkMap(pinned, plain).map.parameters.settlement).toBeUndefined();
    // A signature over the map without the field does not carry over to the same map with one.
    expect(() => verifyNetworkMap(pinned, { ...plain, map: withSettlement() })).toThrow(expect.objectContaining({ problem: 'signature' }));
  });

  it('refuses a settlement with credentials in the RPC URL, zero confirmations or a malformed address', async () => {
    await expect(signNetworkMap(networkKey, withSettlement({ ...settlement, rpcUrl: 'https://user:secret@chain.example.org' }))).rejects.toThrow(/rpcUrl/);
    await expect(signNetworkMap(networkKey, withSettlement({ ...settlement, rpcUrl: 'ftp://chain.example.org' }))).rejects.toThrow(/rpcUrl/);
    await expect(signNetworkMap(networkKey, withSettlement({ ...settlement, confirmations: 0 }))).rejects.toThrow(/confirmations/);
    await expect(signNetworkMap(networkKey, withSettlement({ ...settlement, token: '0x1234' }))).rejects.toThrow(/token/);
  });
});

describe('network fingerprint and versions', () => {
  it('is eight groups of four upper-case hex digits and changes with the key or the chain id', () => {
    const fingerprint = networkFingerprint(pinned);
    expect(fingerprint).toMatch(/^([0-9A-F]{4} ){7}[0-9A-F]{4}$/);
    expect(networkFingerprint({ ...pinned, chainId: 1 })).not.toBe(fingerprint);
    expect(networkFingerprint({ ...pinned, address: newTestNode().wallet.address })).not.toBe(fingerprint);
  });

  it('orders app versions by semantic-versioning precedence', () => {
    const ordered = ['0.1.0-alpha', '0.1.0-alpha.1', '0.1.0-alpha.beta', '0.1.0-beta.2', '0.1.0-beta.11', '0.1.0', '0.2.0', '1.0.0', '10.0.0'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) expect(Math.sign(compareAppVersions(ordered[i]!, ordered[j]!)), `${ordered[i]} vs ${ordered[j]}`).toBe(Math.sign(i - j));
    }
  });
});
