import { keccak_256 } from '@noble/hashes/sha3.js';
import { getAddress, TypedDataEncoder, type TypedDataField } from 'ethers';
import { z } from 'zod';

/**
 * The signed ledger's entry schema (design §5, the ledger issue). Every significant act of the
 * node becomes one EIP-712 typed-data entry, signed by the node's secp256k1 identity key:
 *
 *   domain  { name: "HDMS Ledger", version: "1", chainId }            (no verifyingContract)
 *   Entry   { uint64 seq; bytes32 prevHash; string kind; bytes32 subject; bytes32 operator;
 *             bytes32 payloadHash; bytes32[] inputs; uint64 createdAt; address node; }
 *
 *   seq          1, 2, 3… per node, no gaps.
 *   prevHash     the EIP-712 hash (TypedDataEncoder.hash) of entry seq − 1; 32 zero bytes for seq 1.
 *   kind         one of LEDGER_ENTRY_KINDS.
 *   subject      what the act concerned, as a keyed pseudonym: HMAC-SHA-256 under the vault's ledger
 *                key (a patient, an operator), or 32 zero bytes for acts of the node as a whole. The
 *                HMAC key never leaves the vault, so nobody can test a guessed name or MRN against it.
 *   operator     the acting operator's pseudonymous id (the same 32-byte HMAC the journal records,
 *                there as base64url), or 32 zero bytes for the node itself (intake).
 *   payloadHash  SHA-256 of the entry's details, kept sealed in the vault (a salted JSON object in
 *                the journal record of the entry); commits to them without revealing them.
 *   inputs       what the entry covers: for INTAKE_BATCH the RFC 9162 Merkle root of the batch's
 *                object hashes; otherwise the hash of the journal record the act was recorded in.
 *   createdAt    Unix time in MILLISECONDS when the node signed the entry.
 *   node         the signer's address (checksummed): the node id.
 *
 * No field holds PHI: hashes, keyed pseudonyms, a category, a counter and a time. `operator` is an
 * addition to the issue's field list: an audit must say who acted, and a pseudonym in the signed
 * entry lets the compliance officer prove it without exposing names.
 *
 * chainId: DEFAULT_LEDGER_CHAIN_ID (31337, the conventional "local development chain" id) for every
 * node, always. A node's chain starts at its first entry, before it joins any network, and cannot be
 * signed again when it joins, so the ledger's domain does not carry the network's chain id (that
 * one is the settlement chain's, used in the network's own documents: join requests, certificates,
 * maps). What binds an entry is its signer (the node) and its place in that node's chain; the
 * network's notary countersigns it as it is.
 *
 * ethers ignores fields that are not in the types and fills nothing in: the zod schema below is
 * strict (an extra or missing field is an error) and is applied before signing and when verifying.
 */

export const LEDGER_ENTRY_KINDS = [
  'INTAKE_BATCH',
  'ACCESS',
  'CONSENT',
  'ERASURE',
  'EXPORT',
  'SETTINGS_CHANGE',
  'KEY_ROTATION',
  'OPERATOR_CHANGE',
  // The network's notary showed two checkpoints that do not extend one another (a split view or a
  // rewritten log): the node records it, with both signed checkpoints in the entry's details.
  'NOTARY_ALARM',
  // An operator's session: signed in (with the failed unlocks before it), locked, or its window
  // closed. The body witnesses these (it checks every unlock's proof) and journals them; the next
  // clinical session signs them.
  'SESSION',
  // A quarantined input reprocessed or discarded by an operator.
  'QUARANTINE',
  // The vault was put back from a backup file (the body journals backup.restored, with the
  // erasures the restore applied again); the next session signs it as the node's act.
  'RESTORE',
  // A clinic answered a researcher's keyword query: the query's EIP-712 hash and the count bucket
  // it answered (never the KEY list), with the researcher's address as subject.
  'QUERY_ANSWERED',
  // The purchase (issue 15, shared/research/purchase-request.ts). A researcher sent a purchase
  // request (subject: the request's EIP-712 hash; details: the clinic, purchase id, offers, record
  // count and total, never the keys).
  'PURCHASE_REQUESTED',
  // A clinic accepted a purchase request: subject the request's EIP-712 hash, inputs the offer ids
  // it sells, each CONSUMED at the notary (shared/network/notary.ts CONSUMING_KINDS: an offer is
  // sold once); details the purchase id, record count and total, never keys or patient data.
  'PURCHASE_ACCEPTED',
  // A clinic declined a purchase request (or the notary said the offer was sold already): subject
  // the request's hash, details the purchase id and the reason in one word.
  'PURCHASE_DECLINED',
  // A key keeper released its share of a purchase's package key (issue 15 item 6): its input is the
  // purchase id, consumed at the notary, so a keeper releases once per purchase.
  'KEY_RELEASE',
  // DATA_DELIVERY: a clinic delivered a sealed package: subject the purchase id, details the ciphertext SHA-256 and key commitment
  'DATA_DELIVERY',
  // A researcher acknowledged a delivery (issue 15 item 7): subject the purchase id as bytes32,
  // inputs the ciphertext SHA-256 it opened and the manifest SHA-256 it read; the escrow then pays
  // the clinic and the keepers.
  'DELIVERY_ACK',
  // A researcher paid a purchase into escrow (issue 15 item 2): subject the purchase id as bytes32,
  // input the deposit transaction's hash; details the chain, the escrow, the block and the amount.
  'ESCROW_DEPOSIT',
  // A researcher posted a keyword query (issue 14): subject the query's EIP-712 hash (what the
  // clinics' QUERY_ANSWERED entries name); details its purpose, how many terms and clinics, never the terms.
  'QUERY_POSTED',
] as const;
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number];

export const LEDGER_DOMAIN_NAME = 'HDMS Ledger';
export const LEDGER_DOMAIN_VERSION = '1';
/** The default network id (see above); documented in the export header of every file. */
export const DEFAULT_LEDGER_CHAIN_ID = 31337;
export const ZERO_HASH = `0x${'00'.repeat(32)}`;
/** The prevHash of entry 1. */
export const GENESIS_PREV_HASH = ZERO_HASH;
export const MAX_ENTRY_INPUTS = 64;

export interface LedgerDomain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
}

export function ledgerDomain(chainId: number = DEFAULT_LEDGER_CHAIN_ID): LedgerDomain {
  return { name: LEDGER_DOMAIN_NAME, version: LEDGER_DOMAIN_VERSION, chainId };
}

export const ENTRY_TYPES: Readonly<Record<'Entry', readonly TypedDataField[]>> = {
  Entry: [
    { name: 'seq', type: 'uint64' },
    { name: 'prevHash', type: 'bytes32' },
    { name: 'kind', type: 'string' },
    { name: 'subject', type: 'bytes32' },
    { name: 'operator', type: 'bytes32' },
    { name: 'payloadHash', type: 'bytes32' },
    { name: 'inputs', type: 'bytes32[]' },
    { name: 'createdAt', type: 'uint64' },
    { name: 'node', type: 'address' },
  ],
};

/** ethers' signatures of typed data take mutable records; this is a fresh copy of ENTRY_TYPES. */
export function entryTypes(): Record<string, TypedDataField[]> {
  return { Entry: ENTRY_TYPES.Entry.map((field) => ({ ...field })) };
}

/** 0x + 64 lowercase hex digits (the canonical form; ethers would also take upper case). */
export const Bytes32Schema = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x and 64 lowercase hex digits');
/** An address in its EIP-55 checksummed form (the one canonical spelling). */
export const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be 0x and 40 hex digits')
  .refine((value) => {
    try {
      return getAddress(value) === value;
    } catch {
      return false;
    }
  }, 'must be a checksummed (EIP-55) address');
/** r ‖ s ‖ v, 65 bytes, as ethers' signTypedData returns it. */
export const SignatureSchema = z.string().regex(/^0x[0-9a-f]{130}$/, 'must be 0x and 130 lowercase hex digits');

const uint64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const LedgerEntrySchema = z.strictObject({
  seq: uint64.min(1),
  prevHash: Bytes32Schema,
  kind: z.enum(LEDGER_ENTRY_KINDS),
  subject: Bytes32Schema,
  operator: Bytes32Schema,
  payloadHash: Bytes32Schema,
  inputs: z.array(Bytes32Schema).max(MAX_ENTRY_INPUTS),
  createdAt: uint64,
  node: AddressSchema,
});
export type LedgerEntry = Readonly<z.infer<typeof LedgerEntrySchema>>;

/** One signed entry: what an export line and the sealed journal record hold. */
export const SignedEntrySchema = z.strictObject({
  entry: z.unknown(),
  signature: z.unknown(),
});

/** A zod failure as one short sentence naming the field (values are never quoted). */
export function describeSchemaIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'does not match the schema';
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `has unexpected field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `is missing field "${field}"`;
  return field === '' ? `is not a valid entry (${issue.message})` : `field "${field}" ${issue.message}`;
}

export class LedgerSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerSchemaError';
  }
}

/** The entry, strictly validated; throws LedgerSchemaError("entry … has unexpected field …"). */
export function parseEntry(value: unknown): LedgerEntry {
  const parsed = LedgerEntrySchema.safeParse(value);
  if (!parsed.success) {
    const seq = typeof (value as { seq?: unknown } | null)?.seq === 'number' ? ` ${(value as { seq: number }).seq}` : '';
    throw new LedgerSchemaError(`entry${seq} ${describeSchemaIssue(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Hashes entries of one domain: the EIP-712 digest keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖
 * hashStruct(entry)), written out for this one struct instead of through ethers' generic
 * TypedDataEncoder, which walks the types for every entry (a verifier and the notary hash every
 * entry; this is about twice as fast). hashStruct(entry) = keccak256 of ten 32-byte words: the type
 * hash, seq (uint64), prevHash, keccak256(kind) (a string), subject, operator, payloadHash,
 * keccak256 of the inputs' concatenation (bytes32[]), createdAt (uint64), node (address, left-padded).
 * A property test checks it against TypedDataEncoder.hash on random entries.
 */
export class EntryHasher {
  private readonly typeHash = keccak_256(UTF8.encode(TypedDataEncoder.from(entryTypes()).encodeType('Entry')));
  private readonly words = new Uint8Array(32 * 10);
  private readonly message = new Uint8Array(66);
  private readonly domainSeparator: string;

  constructor(readonly domain: LedgerDomain) {
    this.domainSeparator = TypedDataEncoder.hashDomain({ ...domain });
    this.message[0] = 0x19;
    this.message[1] = 0x01;
    writeHex(this.message, 2, this.domainSeparator, 32);
  }

  hash(entry: LedgerEntry): string {
    const words = this.words;
    words.set(this.typeHash, 0);
    writeUint64(words, 32, entry.seq);
    writeHex(words, 64, entry.prevHash, 32);
    words.set(keccak_256(UTF8.encode(entry.kind)), 96);
    writeHex(words, 128, entry.subject, 32);
    writeHex(words, 160, entry.operator, 32);
    writeHex(words, 192, entry.payloadHash, 32);
    const inputs = new Uint8Array(32 * entry.inputs.length);
    entry.inputs.forEach((input, index) => writeHex(inputs, 32 * index, input, 32));
    words.set(keccak_256(inputs), 224);
    writeUint64(words, 256, entry.createdAt);
    words.fill(0, 288, 300);
    writeHex(words, 300, entry.node, 20);
    this.message.set(keccak_256(words), 34);
    return hexOf(keccak_256(this.message));
  }
}

const UTF8 = new TextEncoder();
const HEX_DIGITS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** `0x` + `length` bytes of hex (either case, as addresses are checksummed) into `out` at `offset`. */
function writeHex(out: Uint8Array, offset: number, hex: string, length: number): void {
  if (hex.length !== 2 + 2 * length) throw new RangeError(`expected 0x and ${2 * length} hex digits`);
  for (let i = 0; i < length; i++) {
    const high = nibble(hex.charCodeAt(2 + 2 * i));
    const low = nibble(hex.charCodeAt(3 + 2 * i));
    if (high < 0 || low < 0) throw new RangeError('not a hex string');
    out[offset + i] = high * 16 + low;
  }
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** A uint64 (a safe integer here, as the schema allows) as a 32-byte big-endian word at `offset`. */
function writeUint64(out: Uint8Array, offset: number, value: number): void {
  out.fill(0, offset, offset + 32);
  let rest = value;
  for (let i = 31; i >= 24 && rest > 0; i--) {
    out[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

function hexOf(bytes: Uint8Array): string {
  let hex = '0x';
  for (const byte of bytes) hex += HEX_DIGITS[byte]!;
  return hex;
}

/** The EIP-712 hash of one entry: what the next entry's prevHash names. */
export function entryHash(domain: LedgerDomain, entry: LedgerEntry): string {
  return TypedDataEncoder.hash({ ...domain }, entryTypes(), { ...entry, inputs: [...entry.inputs] });
}

/** Converts 32 raw bytes to the canonical bytes32 string. */
export function bytes32Of(bytes: Uint8Array): string {
  if (bytes.length !== 32) throw new RangeError('bytes32 takes exactly 32 bytes.');
  let hex = '0x';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** 32 raw bytes of a canonical bytes32 string. */
export function bytesOf32(hex: string): Uint8Array {
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new RangeError('not a bytes32 string');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16);
  return out;
}
