import { getAddress, TypedDataEncoder, verifyTypedData, type TypedDataField } from 'ethers';
import { z } from 'zod';
import { AddressSchema, describeSchemaIssue, SignatureSchema } from '../ledger/ledger-schema';
import { CERTIFICATE_FIELDS, NetworkDocumentError, SignedCertificateSchema, verifyCertificate, type TypedDataSigner } from './membership';
import { AppVersionSchema, ChainIdSchema, DisplayNameSchema, networkDomain, networkFingerprint, uint32, uint64, type PinnedNetwork } from './network-domain';

/**
 * The network map (design §10, issue 10 item 3): the one signed document that says who is in the
 * network and how it works. Served at `GET /v1/network-map` as `{ map, signature }` (ETag cached),
 * signed by the network key as EIP-712 typed data:
 *
 *   NetworkMap        { uint64 epoch; uint64 issuedAt; NetworkParameters parameters;
 *                       SignedCertificate[] members; Revocation[] revocations; }
 *   NetworkParameters { string name; uint64 chainId; NetworkKeys keys; uint32 witnessQuorum;
 *                       uint64 maxMessageSize; string minAppVersion; [Settlement settlement;] }
 *   NetworkKeys       { address network; string log; }
 *   Settlement        { uint64 chainId; string rpcUrl; address token; address escrow;
 *                       address anchor; uint32 confirmations; }
 *   SignedCertificate { MembershipCertificate certificate; bytes signature; }
 *   Revocation        { address member; uint64 serial; uint64 revokedAt; }
 *
 *   epoch        increases by one on every membership change (an approval, a revocation); a node
 *                keeps the highest epoch it has seen and refuses an older map.
 *   keys         the server's public keys: the network key (which signs this map and the
 *                certificates) and the notary's log key (its C2SP vkey, which signs checkpoints and
 *                receipts; '' or absent before the network has one).
 *   settlement   where purchases are paid (issue 15 item 2): the EVM chain's id (not the signatures'
 *                chainId above), a JSON-RPC endpoint, the PHD token, the purchase escrow and the
 *                checkpoint anchor contracts, and the confirmation depth a payment needs before a
 *                keeper relies on it. Absent on a network without a chain; the type then has no
 *                Settlement field at all, so maps signed before it existed still verify, and one
 *                that has it cannot be stripped of it (the signature covers the type).
 *   members      the certificates of current members, sorted by address, one per member.
 *   revocations  revoked certificates, sorted by member; a revoked member is never in `members`.
 *
 * The map is verified strictly (extra or missing fields are errors), against the PINNED network: a
 * map signed by any other key, for another chain id, or naming another network key is refused.
 */

/**
 * `log`: the notary's log key as a C2SP vkey (Ed25519, type 0x01, named by the log's origin; see
 * shared/network/notary.ts), or '' while the network has none. Absent is the same as '' (the
 * signature covers '' then), so maps made before the notary still verify.
 */
export const LogVkeySchema = z.string().max(200).regex(/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$|^$/, 'must be a vkey (name+keyid+base64) or empty');
export const NetworkKeysSchema = z.strictObject({ network: AddressSchema, log: LogVkeySchema.optional() });

/** A JSON-RPC endpoint: http(s), no credentials in it (the map is public). */
export const RpcUrlSchema = z
  .string()
  .max(500)
  .regex(/^https?:\/\/[^\s@/]+(\/[^\s]*)?$/, 'must be an http(s) URL without credentials');
/** The most confirmations a network may ask for: a day of 12-second blocks is more than any consortium chain needs. */
export const MAX_CONFIRMATIONS = 7_200;
export const SettlementSchema = z.strictObject({
  chainId: ChainIdSchema,
  rpcUrl: RpcUrlSchema,
  token: AddressSchema,
  escrow: AddressSchema,
  anchor: AddressSchema,
  confirmations: uint32.min(1).max(MAX_CONFIRMATIONS),
});
export type Settlement = Readonly<z.infer<typeof SettlementSchema>>;

export const NetworkParametersSchema = z.strictObject({
  name: DisplayNameSchema,
  chainId: ChainIdSchema,
  keys: NetworkKeysSchema,
  witnessQuorum: uint32,
  maxMessageSize: uint64.min(1),
  minAppVersion: AppVersionSchema,
  settlement: SettlementSchema.optional(),
});
export type NetworkParameters = Readonly<z.infer<typeof NetworkParametersSchema>>;

export const RevocationSchema = z.strictObject({ member: AddressSchema, serial: uint64.min(1), revokedAt: uint64 });
export type Revocation = Readonly<z.infer<typeof RevocationSchema>>;

/** The most members (and revocations) one map holds: a bound on what a node parses and hashes. */
export const MAX_MAP_MEMBERS = 10_000;

export const NetworkMapSchema = z.strictObject({
  epoch: uint64,
  issuedAt: uint64,
  parameters: NetworkParametersSchema,
  members: z.array(SignedCertificateSchema).max(MAX_MAP_MEMBERS),
  revocations: z.array(RevocationSchema).max(MAX_MAP_MEMBERS),
});
export type NetworkMap = Readonly<z.infer<typeof NetworkMapSchema>>;

export const SignedNetworkMapSchema = z.strictObject({ map: NetworkMapSchema, signature: SignatureSchema });
export type SignedNetworkMap = Readonly<z.infer<typeof SignedNetworkMapSchema>>;

/** The map's EIP-712 types; with a Settlement struct only for a map that carries one (see above). */
export function networkMapTypes(withSettlement = false): Record<string, TypedDataField[]> {
  const types: Record<string, TypedDataField[]> = {
    NetworkMap: [
      { name: 'epoch', type: 'uint64' },
      { name: 'issuedAt', type: 'uint64' },
      { name: 'parameters', type: 'NetworkParameters' },
      { name: 'members', type: 'SignedCertificate[]' },
      { name: 'revocations', type: 'Revocation[]' },
    ],
    NetworkParameters: [
      { name: 'name', type: 'string' },
      { name: 'chainId', type: 'uint64' },
      { name: 'keys', type: 'NetworkKeys' },
      { name: 'witnessQuorum', type: 'uint32' },
      { name: 'maxMessageSize', type: 'uint64' },
      { name: 'minAppVersion', type: 'string' },
    ],
    NetworkKeys: [
      { name: 'network', type: 'address' },
      { name: 'log', type: 'string' },
    ],
    SignedCertificate: [
      { name: 'certificate', type: 'MembershipCertificate' },
      { name: 'signature', type: 'bytes' },
    ],
    MembershipCertificate: CERTIFICATE_FIELDS.map((field) => ({ ...field })),
    Revocation: [
      { name: 'member', type: 'address' },
      { name: 'serial', type: 'uint64' },
      { name: 'revokedAt', type: 'uint64' },
    ],
  };
  if (withSettlement) {
    types.NetworkParameters!.push({ name: 'settlement', type: 'Settlement' });
    types.Settlement = [
      { name: 'chainId', type: 'uint64' },
      { name: 'rpcUrl', type: 'string' },
      { name: 'token', type: 'address' },
      { name: 'escrow', type: 'address' },
      { name: 'anchor', type: 'address' },
      { name: 'confirmations', type: 'uint32' },
    ];
  }
  return types;
}

const typesOf = (map: NetworkMap): Record<string, TypedDataField[]> => networkMapTypes(map.parameters.settlement !== undefined);

const plain = (value: NetworkMap): Record<string, unknown> => {
  const copy = JSON.parse(JSON.stringify(value)) as NetworkMap & { parameters: { keys: { log?: string } } };
  copy.parameters.keys.log ??= '';
  return copy as unknown as Record<string, unknown>;
};

const byAddress = (a: string, b: string): number => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);

/** The structural rules the schema cannot say: sorted, unique, no member both current and revoked. */
function checkMapStructure(map: NetworkMap): void {
  for (let i = 1; i < map.members.length; i++) {
    if (byAddress(map.members[i - 1]!.certificate.member, map.members[i]!.certificate.member) >= 0) throw new NetworkDocumentError('network map members are not sorted by address, or one is listed twice');
  }
  for (let i = 1; i < map.revocations.length; i++) {
    const order = byAddress(map.revocations[i - 1]!.member, map.revocations[i]!.member);
    if (order > 0 || (order === 0 && map.revocations[i - 1]!.serial >= map.revocations[i]!.serial)) throw new NetworkDocumentError('network map revocations are not sorted by member and serial');
  }
  const revoked = new Set(map.revocations.map((revocation) => revocation.member));
  if (map.members.some((member) => revoked.has(member.certificate.member))) throw new NetworkDocumentError('network map lists a revoked member as a member');
}

/** Sorts members and revocations into the map's canonical order (what signNetworkMap expects). */
export function sortNetworkMap(map: NetworkMap): NetworkMap {
  return {
    ...map,
    members: [...map.members].sort((a, b) => byAddress(a.certificate.member, b.certificate.member)),
    revocations: [...map.revocations].sort((a, b) => byAddress(a.member, b.member) || a.serial - b.serial),
  };
}

/** Signs a network map with the network key, which the map's parameters must name. */
export async function signNetworkMap(networkKey: TypedDataSigner, value: unknown): Promise<SignedNetworkMap> {
  const parsed = NetworkMapSchema.safeParse(value);
  if (!parsed.success) throw new NetworkDocumentError(`network map ${describeSchemaIssue(parsed.error)}`);
  const map = parsed.data;
  checkMapStructure(map);
  if (map.parameters.keys.network !== networkKey.address) throw new NetworkDocumentError('network map names another network key than its signer');
  const signature = await networkKey.signTypedData({ ...networkDomain(map.parameters.chainId) }, typesOf(map), plain(map));
  return { map, signature: signature.toLowerCase() };
}

/** The map's EIP-712 hash (what its signature signs). */
export function networkMapHash(map: NetworkMap): string {
  return TypedDataEncoder.hash({ ...networkDomain(map.parameters.chainId) }, typesOf(map), plain(map));
}

export interface VerifyMapOptions {
  /** Also verify every member certificate's own signature (default true). */
  readonly verifyCertificates?: boolean;
  /** Refuse a map older than this epoch (the highest the node has seen). */
  readonly minEpoch?: number;
}

/**
 * Verifies a signed network map against the network the node pinned at join: the strict schema, the
 * structure (sorted, unique, revoked members absent), the chain id and network key it names, the
 * signature (by the pinned key and no other), the epoch, and each member's certificate. Returns the
 * map; throws NetworkDocumentError naming the problem.
 */
export function verifyNetworkMap(pinned: PinnedNetwork, value: unknown, options: VerifyMapOptions = {}): SignedNetworkMap {
  const parsed = SignedNetworkMapSchema.safeParse(value);
  if (!parsed.success) throw new NetworkDocumentError(`signed network map ${describeSchemaIssue(parsed.error)}`);
  const { map, signature } = parsed.data;
  const pinnedAddress = getAddress(pinned.address);
  if (map.parameters.chainId !== pinned.chainId) throw new NetworkDocumentError('network map is for another chain id than the pinned network', 'network');
  if (map.parameters.keys.network !== pinnedAddress) throw new NetworkDocumentError('network map names another network key than the pinned one', 'network');
  checkMapStructure(map);
  let signer: string;
  try {
    signer = verifyTypedData({ ...networkDomain(map.parameters.chainId) }, typesOf(map), plain(map), signature);
  } catch {
    throw new NetworkDocumentError('network map signature is not a valid signature', 'signature');
  }
  if (signer !== pinnedAddress) throw new NetworkDocumentError('network map is not signed by the pinned network key', 'signature');
  if (options.minEpoch !== undefined && map.epoch < options.minEpoch) throw new NetworkDocumentError(`network map epoch ${map.epoch} is older than epoch ${options.minEpoch} already seen`, 'epoch');
  if (options.verifyCertificates ?? true) for (const member of map.members) verifyCertificate(pinned, member);
  return parsed.data;
}

/**
 * First contact, before anything is pinned: verifies that the map is signed by the key it names
 * (self-consistent) and returns what the node would pin, with the fingerprint the admin compares
 * out of band before confirming the join. Trust comes from that comparison, not from this check.
 */
export function inspectNetworkMapForPinning(value: unknown): { readonly pinned: PinnedNetwork; readonly fingerprint: string; readonly signed: SignedNetworkMap } {
  const parsed = SignedNetworkMapSchema.safeParse(value);
  if (!parsed.success) throw new NetworkDocumentError(`signed network map ${describeSchemaIssue(parsed.error)}`);
  const pinned: PinnedNetwork = { address: parsed.data.map.parameters.keys.network, chainId: parsed.data.map.parameters.chainId };
  const signed = verifyNetworkMap(pinned, parsed.data);
  return { pinned, fingerprint: networkFingerprint(pinned), signed };
}
