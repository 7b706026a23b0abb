import { computeAddress, getAddress, SigningKey, TypedDataEncoder, verifyTypedData, type TypedDataDomain, type TypedDataField } from 'ethers';
import { z } from 'zod';
import { AddressSchema, Bytes32Schema, describeSchemaIssue, SignatureSchema } from '../ledger/ledger-schema';
import { isIsoCountryCode } from './countries';
import { AppVersionSchema, DisplayNameSchema, networkDomain, RolesSchema, uint64, UncompressedPointSchema, type NetworkDomain, type PinnedNetwork } from './network-domain';

/**
 * Joining a network (design §10, issue 10 item 2).
 *
 * A node asks to join with a JoinRequest, EIP-712 typed data signed by its secp256k1 identity key:
 *
 *   JoinRequest { address network; address node; string legalName; string country; string[] roles;
 *                 bytes messageKey; string appVersion; bytes32 nonce; uint64 createdAt; }
 *
 *   network     the network key's address the node pinned (from the network map it fetched first):
 *               a request meant for one network is refused by every other.
 *   node        the node's identity address (the signer).
 *   legalName   the institution's legal name (DisplayNameSchema).
 *   country     ISO 3166-1 alpha-2, upper case.
 *   roles       ⊆ {clinic, research, keeper, witness}, canonical order, at least one.
 *   messageKey  the node's P-256 message (ECDH) public key, uncompressed: what other members encrypt
 *               relay messages to. Derived from the vault's master secret, separate from the identity key.
 *   appVersion  the node's app version (MAJOR.MINOR.PATCH[-pre]).
 *   nonce       32 random bytes: two requests of the same node never look alike.
 *   createdAt   Unix time in milliseconds when the node signed.
 *
 * The operator approves it and the doorman issues a MembershipCertificate, signed by the network key:
 *
 *   MembershipCertificate { address network; address member; bytes identityKey; string legalName;
 *                           string country; string[] roles; bytes messageKey; bytes32 joinRequest;
 *                           uint64 serial; uint64 issuedAt; }
 *
 *   identityKey  the member's uncompressed secp256k1 public key (recovered once from the JoinRequest's
 *                signature), so anyone holding the certificate verifies the member's signatures with
 *                a plain ECDSA verify instead of recovering addresses.
 *   joinRequest  the EIP-712 hash of the JoinRequest it answers.
 *   serial       the certificate's number, unique in the network (revocations name it).
 *   issuedAt     Unix time in milliseconds.
 *
 * Both schemas are strict (an extra or missing field is an error): ethers ignores extra fields.
 */

export const CountrySchema = z.string().regex(/^[A-Z]{2}$/, 'must be two upper-case letters').refine(isIsoCountryCode, 'must be an assigned ISO 3166-1 alpha-2 code');

export const JoinRequestSchema = z.strictObject({
  network: AddressSchema,
  node: AddressSchema,
  legalName: DisplayNameSchema,
  country: CountrySchema,
  roles: RolesSchema,
  messageKey: UncompressedPointSchema,
  appVersion: AppVersionSchema,
  nonce: Bytes32Schema,
  createdAt: uint64,
});
export type JoinRequest = Readonly<z.infer<typeof JoinRequestSchema>>;

/** The body of `POST /v1/join`. */
export const SignedJoinRequestSchema = z.strictObject({ request: JoinRequestSchema, signature: SignatureSchema });
export type SignedJoinRequest = Readonly<z.infer<typeof SignedJoinRequestSchema>>;

export const MembershipCertificateSchema = z.strictObject({
  network: AddressSchema,
  member: AddressSchema,
  identityKey: UncompressedPointSchema,
  legalName: DisplayNameSchema,
  country: CountrySchema,
  roles: RolesSchema,
  messageKey: UncompressedPointSchema,
  joinRequest: Bytes32Schema,
  serial: uint64.min(1),
  issuedAt: uint64,
});
export type MembershipCertificate = Readonly<z.infer<typeof MembershipCertificateSchema>>;

export const SignedCertificateSchema = z.strictObject({ certificate: MembershipCertificateSchema, signature: SignatureSchema });
export type SignedCertificate = Readonly<z.infer<typeof SignedCertificateSchema>>;

export const JOIN_REQUEST_FIELDS: readonly TypedDataField[] = [
  { name: 'network', type: 'address' },
  { name: 'node', type: 'address' },
  { name: 'legalName', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'roles', type: 'string[]' },
  { name: 'messageKey', type: 'bytes' },
  { name: 'appVersion', type: 'string' },
  { name: 'nonce', type: 'bytes32' },
  { name: 'createdAt', type: 'uint64' },
];

export const CERTIFICATE_FIELDS: readonly TypedDataField[] = [
  { name: 'network', type: 'address' },
  { name: 'member', type: 'address' },
  { name: 'identityKey', type: 'bytes' },
  { name: 'legalName', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'roles', type: 'string[]' },
  { name: 'messageKey', type: 'bytes' },
  { name: 'joinRequest', type: 'bytes32' },
  { name: 'serial', type: 'uint64' },
  { name: 'issuedAt', type: 'uint64' },
];

const copyFields = (fields: readonly TypedDataField[]): TypedDataField[] => fields.map((field) => ({ ...field }));
export const joinRequestTypes = (): Record<string, TypedDataField[]> => ({ JoinRequest: copyFields(JOIN_REQUEST_FIELDS) });
export const certificateTypes = (): Record<string, TypedDataField[]> => ({ MembershipCertificate: copyFields(CERTIFICATE_FIELDS) });

/** What signs network documents: an ethers Wallet, or anything with the same two members. */
export interface TypedDataSigner {
  readonly address: string;
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/** What was wrong with a network document: its shape, the network it names, its signature, or (maps) its epoch. */
export type NetworkDocumentProblem = 'schema' | 'network' | 'signature' | 'epoch';

export class NetworkDocumentError extends Error {
  constructor(
    message: string,
    readonly problem: NetworkDocumentProblem = 'schema',
  ) {
    super(message);
    this.name = 'NetworkDocumentError';
  }
}

function strictParse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new NetworkDocumentError(`${what} ${describeSchemaIssue(parsed.error)}`);
  return parsed.data;
}

export function parseJoinRequest(value: unknown): JoinRequest {
  return strictParse(JoinRequestSchema, value, 'join request');
}

export function parseCertificate(value: unknown): MembershipCertificate {
  return strictParse(MembershipCertificateSchema, value, 'certificate');
}

const plain = <T extends object>(value: T): Record<string, unknown> => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

/** The EIP-712 hash of a join request (what a certificate's `joinRequest` names). */
export function joinRequestHash(domain: NetworkDomain, request: JoinRequest): string {
  return TypedDataEncoder.hash({ ...domain }, joinRequestTypes(), plain(request));
}

/** Validates a join request strictly and signs it with the node's identity key (which it must name). */
export async function signJoinRequest(signer: TypedDataSigner, chainId: number, value: unknown): Promise<SignedJoinRequest> {
  const request = parseJoinRequest(value);
  if (request.node !== signer.address) throw new NetworkDocumentError('join request names another node than its signer');
  const signature = await signer.signTypedData({ ...networkDomain(chainId) }, joinRequestTypes(), plain(request));
  return { request, signature: signature.toLowerCase() };
}

export interface VerifiedJoinRequest {
  readonly request: JoinRequest;
  readonly signature: string;
  /** The node's uncompressed secp256k1 public key, recovered from the signature. */
  readonly publicKey: string;
  /** The request's EIP-712 hash. */
  readonly hash: string;
}

/**
 * Checks a signed join request for `network`: the strict schema, the network it names, and that its
 * signature recovers the node it names. Returns the node's public key (recovered once, here).
 * Throws NetworkDocumentError naming the problem (never quoting values).
 */
export function verifyJoinRequest(network: PinnedNetwork, value: unknown): VerifiedJoinRequest {
  const { request, signature } = strictParse(SignedJoinRequestSchema, value, 'signed join request');
  if (request.network !== getAddress(network.address)) throw new NetworkDocumentError('join request is for another network', 'network');
  const hash = joinRequestHash(networkDomain(network.chainId), request);
  let publicKey: string;
  try {
    publicKey = SigningKey.recoverPublicKey(hash, signature);
  } catch {
    throw new NetworkDocumentError('join request signature is not a valid signature', 'signature');
  }
  if (addressOfKey(publicKey) !== request.node) throw new NetworkDocumentError('join request is not signed by the node it names', 'signature');
  return { request, signature, publicKey: publicKey.toLowerCase(), hash };
}

/** The address of an uncompressed secp256k1 public key (0x04 ‖ X ‖ Y); throws for a point off the curve. */
export function addressOfKey(publicKey: string): string {
  return computeAddress(publicKey);
}

function keyBelongsTo(publicKey: string, address: string): boolean {
  try {
    return addressOfKey(publicKey) === address;
  } catch {
    return false;
  }
}

/** Signs a certificate with the network key (its `network` must be that key's address). */
export async function signCertificate(networkKey: TypedDataSigner, chainId: number, value: unknown): Promise<SignedCertificate> {
  const certificate = parseCertificate(value);
  if (certificate.network !== networkKey.address) throw new NetworkDocumentError('certificate names another network than its signer');
  const signature = await networkKey.signTypedData({ ...networkDomain(chainId) }, certificateTypes(), plain(certificate));
  return { certificate, signature: signature.toLowerCase() };
}

/**
 * Checks a signed certificate against the pinned network: strict schema, names this network, signed
 * by the network key, and its identity key is the member's. Throws NetworkDocumentError.
 */
export function verifyCertificate(network: PinnedNetwork, value: unknown): SignedCertificate {
  const signed = strictParse(SignedCertificateSchema, value, 'signed certificate');
  const { certificate, signature } = signed;
  const pinned = getAddress(network.address);
  if (certificate.network !== pinned) throw new NetworkDocumentError(`certificate ${certificate.serial} is for another network`, 'network');
  if (!keyBelongsTo(certificate.identityKey, certificate.member)) throw new NetworkDocumentError(`certificate ${certificate.serial}'s identity key is not its member's`, 'signature');
  let signer: string;
  try {
    signer = verifyTypedData({ ...networkDomain(network.chainId) }, certificateTypes(), plain(certificate), signature);
  } catch {
    throw new NetworkDocumentError(`certificate ${certificate.serial}'s signature is not a valid signature`, 'signature');
  }
  if (signer !== pinned) throw new NetworkDocumentError(`certificate ${certificate.serial} is not signed by the network key`, 'signature');
  return signed;
}
