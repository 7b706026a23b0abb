import { secp256k1 } from '@noble/curves/secp256k1.js';
import { getAddress, sha256 } from 'ethers';
import { z } from 'zod';
import { exportLine } from '../ledger/ledger-export-format';
import { AddressSchema, Bytes32Schema, LedgerEntrySchema, SignatureSchema, type LedgerEntry, type LedgerEntryKind } from '../ledger/ledger-schema';
import { fromBase64, toBase64, utf8 } from '../transparency/bytes';
import { leafHash } from '../transparency/hash';
import { verifyEd25519 } from '../transparency/note';
import { verifyInclusionProof } from '../transparency/proof';
import { isSignedBy, signDigestLowS, type RequestSigner } from './signed-request';
import { HashSchema, MAX_PROOF_LENGTH } from '../transparency/wire';

/**
 * The notary and its transparency log (design §5 and §10, issue 10 items 5, 6 and 10): the wire
 * schemas the server and the node share, and the few helpers both need (leaf data, the receipt's
 * signed bytes, consumed inputs).
 *
 * Routes (all JSON unless said otherwise; every refusal of a whole request is the API's typed
 * `{ error: { code, message } }`):
 *
 *   POST /v1/notary/entries        body NotarySubmission                    → NotaryResults
 *        Public: the entries authenticate themselves (each is signed by its node's identity key, and
 *        the node must be an approved member), so a node submits while its vault is locked. Rate
 *        limited per IP and per node named in the entries. At most MAX_SUBMISSION_ENTRIES entries,
 *        each exactly `{ entry, signature }` as shared/ledger signs them. The answer has ONE result
 *        per entry, in order: a notarized receipt, a typed refusal, or `queued` (accepted but not yet
 *        integrated within the wait: submit again later, it is idempotent). One bad entry never
 *        blocks the others; nothing is written for a refused entry except a fork's evidence.
 *   GET  /v1/notary/receipts?node=ADDRESS&afterSeq=N[&limit=L]             → NotaryReceiptsPage
 *        Recovery (item 10): a node restored from an old backup fetches its own notarized entries
 *        with seq > afterSeq, with receipts and inclusion proofs, and continues its chain where the
 *        network has it. Public (the log is public anyway).
 *   GET  /v1/log/checkpoint[?size=N]  text/plain: the newest C2SP signed checkpoint (or the one of
 *                                  tree size N), log signature first, then the witnesses'
 *                                  cosignatures it has (a node looks for a cosigned one ≥ its leaf)
 *   GET  /v1/log/proof/inclusion?leafHash=BASE64&treeSize=N                → InclusionProofAnswer
 *   GET  /v1/log/proof/consistency?from=M&to=N                             → ConsistencyProofAnswer
 *   GET  /v1/log/entries?start=S&end=E   the raw leaves [S, E), at most MAX_ENTRIES_PAGE → LogEntriesPage
 *   GET  /v1/log/witnesses                                                 → WitnessList
 *   PUT  /v1/log/witnesses/me      signed member request, witness role; body WitnessKeyRegistration
 *   POST /v1/log/cosignatures      signed member request, witness role; body CosignatureSubmission
 *   POST /v1/notary/claims         signed member request; body ClaimRequest → ClaimAnswer, or 409
 *                                  input_consumed (see ClaimRequestSchema)
 *
 * The log: ONE RFC 9162 Merkle tree per network; leaf i's data is the UTF-8 bytes of
 * `exportLine({entry, signature})` of the i-th integrated entry (shared/ledger's canonical line), so
 * anyone replays the log from raw entries and re-checks every entry's signature and chain. Its origin
 * (and log key name) is `logOrigin(networkAddress)`; its Ed25519 vkey is `keys.log` in the
 * network map's parameters.
 *
 * What the notary checks, per entry, in order (refusal codes in NOTARY_REFUSALS):
 *   1. the strict schema of `{entry, signature}` (invalid_entry);
 *   2. the node is a member, approved and not revoked (unknown_member, membership_*);
 *   3. the signature: ECDSA secp256k1 over the entry's EIP-712 digest (chain id = the network's),
 *      with the public key stored at join, low-s and the recovery bit checked (bad_signature);
 *   4. the time window: createdAt at most MAX_FUTURE_SKEW_MS in the future (from_the_future). No
 *      past bound: a node that was offline for weeks legitimately submits old entries; the receipt's
 *      integratedAt, the notary's own time, is what orders the entry in the world;
 *   5. the node's chain: an entry for a seq the network already has is the same entry (idempotent:
 *      the same receipt again) or a FORK (fork, both entries kept as evidence); otherwise
 *      seq = last + 1 (chain_gap) and prevHash = the EIP-712 hash of the node's entry seq − 1
 *      (wrong_prev_hash);
 *   6. consumed inputs (`consumedInputs`: consumption keys bound to the node, CONSUMING_KINDS): none
 *      may have been consumed, or claimed, for an entry of another subject (input_consumed, naming
 *      the first consumer). The same entry resubmitted is step 5's idempotent answer (the same
 *      receipt); another entry of the node with the same subject, of a kind with sameSubjectAgain,
 *      consumes nothing a second time and is not refused.
 *
 * Receipts: signed by the log key (Ed25519, RFC 8032) over `receiptMessage(receipt)`:
 *
 *   hdms-notary-receipt/v1\n<origin>\n<leafIndex>\n<leafHash base64>\n<node>\n<seq>\n<entryDigest>\n<integratedAt>\n
 *
 * (decimal integers without leading zeros; leafHash the canonical base64 of 32 bytes; entryDigest the
 * entry's EIP-712 hash as 0x + 64 lowercase hex; integratedAt Unix milliseconds). A receipt comes
 * with the inclusion proof of its leaf in the tree of the checkpoint that accompanies it.
 */

export const NOTARY_ROUTES = {
  entries: '/v1/notary/entries',
  receipts: '/v1/notary/receipts',
  checkpoint: '/v1/log/checkpoint',
  inclusion: '/v1/log/proof/inclusion',
  consistency: '/v1/log/proof/consistency',
  logEntries: '/v1/log/entries',
  witnesses: '/v1/log/witnesses',
  witnessMe: '/v1/log/witnesses/me',
  cosignatures: '/v1/log/cosignatures',
  claims: '/v1/notary/claims',
} as const;

/** Most entries in one submission. */
export const MAX_SUBMISSION_ENTRIES = 500;
/** Most leaves in one page of `GET /v1/log/entries`. */
export const MAX_ENTRIES_PAGE = 1000;
/** Most receipts in one page of `GET /v1/notary/receipts`. */
export const MAX_RECEIPTS_PAGE = 500;
/** How far in the future an entry's createdAt may be (the notary's clock). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** The body limit of `POST /v1/notary/entries` (500 entries of ~1 KiB with room to spare). */
export const MAX_SUBMISSION_BYTES = 1024 * 1024;

export const RECEIPT_TAG = 'hdms-notary-receipt/v1';

/** The log's origin (and its key's name): stable for a network, different for every network. */
export function logOrigin(networkAddress: string): string {
  return `hdms.network/${networkAddress.toLowerCase()}/log`;
}

// ——— Consumed inputs ———

/**
 * Entry kinds that CONSUME their inputs, and the prefix of their consumption keys: each key may be
 * consumed by one entry in the whole network, ever (Corda's uniqueness check; the purchase flow's
 * double-spend check). A key is `<prefix>:<the entry's node, lower case>:<input>`, so it is bound to
 * the node that signs the entry: nobody else can use up a clinic's offer or a keeper's release.
 *
 *   PURCHASE_ACCEPTED  offer:<clinic>:<offer id>           a clinic sells one offer once
 *                      (its inputs are the accepted request's offer ids, 32 bytes each)
 *   KEY_RELEASE        key-release:<keeper>:<purchase id>  a keeper releases its share once per purchase
 *                      (its input is the 16-byte purchase id left-padded to 32 bytes: purchaseIdInput)
 *
 * For every other kind the inputs are commitments (a batch's Merkle root, a journal record's hash)
 * that consume nothing. A node CLAIMS the keys it is about to consume before it signs the entry
 * (`POST /v1/notary/claims`), because a refused entry would stop its chain at the notary: the claim
 * is where "already sold" is learnt, and the entry then consumes what its node claimed for it.
 */
export interface ConsumingKind {
  /** The consumption keys' prefix. */
  readonly prefix: string;
  /**
   * Another entry of the same node with the same (non-zero) subject may name a key it consumed
   * already, and is notarized without consuming it again: for PURCHASE_ACCEPTED the subject is the
   * request's hash, so that entry is the same sale signed twice (two windows of the clinic), not a
   * second one, and refusing it would stop the clinic's chain. Not for KEY_RELEASE: a keeper
   * releases once per purchase, whatever it names as subject.
   */
  readonly sameSubjectAgain: boolean;
}

export const CONSUMING_KINDS: ReadonlyMap<string, ConsumingKind> = new Map<string, ConsumingKind>([
  ['PURCHASE_ACCEPTED', { prefix: 'offer', sameSubjectAgain: true }],
  ['KEY_RELEASE', { prefix: 'key-release', sameSubjectAgain: false }],
]);

/** A consumption key: `<prefix>:<node address, lower case>:<32-byte input>`. */
export const ConsumptionKeySchema = z.string().regex(/^[a-z][a-z-]{0,31}:0x[0-9a-f]{40}:0x[0-9a-f]{64}$/, 'must be <prefix>:<node>:<32-byte input>');

export function consumptionKey(prefix: string, node: string, input: string): string {
  return `${prefix}:${node.toLowerCase()}:${input}`;
}

/** A 16-byte purchase id (0x + 32 hex) as a 32-byte entry input (left-padded with zeros). */
export function purchaseIdInput(purchaseId: string): string {
  if (!/^0x[0-9a-f]{32}$/.test(purchaseId)) throw new RangeError('a purchase id is 0x and 32 lowercase hex digits');
  return `0x${'0'.repeat(32)}${purchaseId.slice(2)}`;
}

/**
 * The consumption keys `entry` consumes, deduplicated, in order: one per input if its kind
 * consumes, else none. `kinds` is CONSUMING_KINDS but for tests, which make a kind of today consume.
 */
export function consumedInputs(entry: Pick<LedgerEntry, 'inputs' | 'node'> & { readonly kind: LedgerEntryKind | string }, kinds: ReadonlyMap<string, ConsumingKind> = CONSUMING_KINDS): string[] {
  const rule = kinds.get(entry.kind);
  if (rule === undefined) return [];
  return [...new Set(entry.inputs.map((input) => consumptionKey(rule.prefix, entry.node, input)))];
}

/**
 * `POST /v1/notary/claims` (signed member request): the member claims consumption keys of its own
 * (the node in each key is the member) for the entry whose subject will be `claim` (a purchase
 * acceptance's subject: the request's EIP-712 hash). 200 with the keys when each is free or already
 * claimed (or consumed) by this member for the same claim (idempotent); 409 `input_consumed` when
 * any is consumed or claimed for another subject (or consumed at all, for a kind without
 * sameSubjectAgain), and then nothing is claimed. An entry of the member with that subject consumes
 * its claimed keys; an entry with another subject is refused them. A second entry of the member with
 * the SAME subject, of a kind with sameSubjectAgain (one acceptance signed twice, by two windows), is
 * notarized and consumes nothing again.
 */
export const MAX_CLAIM_KEYS = 64;
export const ClaimRequestSchema = z.strictObject({
  keys: z.array(ConsumptionKeySchema).min(1).max(MAX_CLAIM_KEYS),
  claim: Bytes32Schema,
});
export type ClaimRequest = z.infer<typeof ClaimRequestSchema>;
export const ClaimAnswerSchema = z.strictObject({ keys: z.array(ConsumptionKeySchema).max(MAX_CLAIM_KEYS), claim: Bytes32Schema });
export type ClaimAnswer = z.infer<typeof ClaimAnswerSchema>;

// ——— Leaves ———

/** The leaf data of a signed entry: the UTF-8 bytes of its canonical export line. */
export function leafData(signed: { readonly entry: LedgerEntry; readonly signature: string }): Uint8Array {
  return utf8(exportLine(signed));
}

// ——— Entry signatures ———

const Point = secp256k1.Point;
const ORDER = Point.CURVE().n;
const HALF_ORDER = ORDER >> 1n;
const Fn = Point.Fn;

/** Public keys with their multiplication tables, most recently used last (a member signs many entries). */
const KEY_TABLES = new Map<string, InstanceType<typeof Point>>();
const KEY_TABLE_CAPACITY = 64;
const KEY_TABLE_WINDOW = 8;

function tableFor(publicKey: Uint8Array): InstanceType<typeof Point> | null {
  let id = '';
  for (const byte of publicKey) id += byte.toString(16).padStart(2, '0');
  const cached = KEY_TABLES.get(id);
  if (cached !== undefined) {
    KEY_TABLES.delete(id);
    KEY_TABLES.set(id, cached);
    return cached;
  }
  let point: InstanceType<typeof Point>;
  try {
    point = Point.fromBytes(publicKey);
  } catch {
    return null;
  }
  point.precompute(KEY_TABLE_WINDOW, false);
  KEY_TABLES.set(id, point);
  if (KEY_TABLES.size > KEY_TABLE_CAPACITY) KEY_TABLES.delete(KEY_TABLES.keys().next().value!);
  return point;
}

/**
 * Checks an entry's signature (r ‖ s ‖ v as ethers writes it) over its EIP-712 digest with the
 * node's known uncompressed public key: ECDSA verification (R = s⁻¹·(e·G + r·Q), R.x ≡ r), plus
 * s in the lower half (one spelling per signature) and v − 27 = the parity of R.y, so exactly the
 * signatures ethers' recovery accepts for this key pass, and every ethers-based verifier (nodes,
 * auditors, `ledger:verify`) agrees. The key's multiplication table is computed once and kept (LRU),
 * which makes a check about twice as fast as a plain verify or a recovery, and no address is hashed.
 *
 * Why not node:crypto: OpenSSL (3.0 in Node 20) has no Keccak-256 and its ECDSA always hashes the
 * message itself, so it cannot check a signature of a precomputed EIP-712 digest (requests, signed
 * over SHA-256, are checked with it: server/http/secp256k1.ts).
 */
export function verifyEntrySignature(digest: string, signature: string, publicKey: Uint8Array): boolean {
  const parts = entrySignatureParts(digest, signature);
  if (parts === null || publicKey.length !== 65) return false;
  const { r, s, parity } = parts;
  const key = tableFor(publicKey);
  if (key === null) return false;
  try {
    const w = Fn.inv(s);
    const R = Point.BASE.multiplyUnsafe(Fn.mul(Fn.create(BigInt(digest)), w)).add(key.multiplyUnsafe(Fn.mul(r, w)));
    if (R.is0()) return false;
    const affine = R.toAffine();
    return Fn.create(affine.x) === r && Number(affine.y & 1n) === parity;
  } catch {
    return false;
  }
}

/**
 * An entry signature's spelling and ranges, as every verifier of entries requires them: a 32-byte
 * digest and r ‖ s ‖ v in lower-case hex, v 27 or 28 (the parity of R.y), 1 ≤ r < n and
 * 1 ≤ s ≤ n/2. Null when any of that fails. (The notary's native check starts here too.)
 */
export function entrySignatureParts(digest: string, signature: string): { readonly r: bigint; readonly s: bigint; readonly parity: 0 | 1 } | null {
  if (!/^0x[0-9a-f]{64}$/.test(digest) || !/^0x[0-9a-f]{130}$/.test(signature)) return null;
  const v = Number.parseInt(signature.slice(130), 16);
  if (v !== 27 && v !== 28) return null;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  if (r < 1n || r >= ORDER || s < 1n || s > HALF_ORDER) return null;
  return { r, s, parity: v === 27 ? 0 : 1 };
}

// ——— Submissions ———

/** One signed entry, strictly: exactly `{entry, signature}` with the ledger's strict entry schema. */
export const NotarySignedEntrySchema = z.strictObject({ entry: LedgerEntrySchema, signature: SignatureSchema });
export type NotarySignedEntry = Readonly<z.infer<typeof NotarySignedEntrySchema>>;

/**
 * The body of `POST /v1/notary/entries`. Its entries are parsed one by one (each may be refused on
 * its own), so the body schema only bounds the list: `parseSubmission` does the rest.
 */
export const NotarySubmissionSchema = z.strictObject({ entries: z.array(z.unknown()).min(1).max(MAX_SUBMISSION_ENTRIES) });
export type NotarySubmission = { readonly entries: readonly unknown[] };

export type ParsedSubmissionEntry = { readonly ok: true; readonly signed: NotarySignedEntry } | { readonly ok: false; readonly problem: string };

/** Parses each entry of a submission strictly; never throws for an entry (a refusal names the field). */
export function parseSubmissionEntries(entries: readonly unknown[]): ParsedSubmissionEntry[] {
  return entries.map((value) => {
    const parsed = NotarySignedEntrySchema.safeParse(value);
    if (parsed.success) return { ok: true, signed: parsed.data };
    const issue = parsed.error.issues[0];
    const field = issue === undefined ? '' : issue.path.map(String).join('.');
    const what = issue?.code === 'unrecognized_keys' ? `has unexpected field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : field === '' ? 'is not an {entry, signature} object' : `field "${field}" is missing or invalid`;
    return { ok: false, problem: `The entry ${what}.` };
  });
}

// ——— Receipts and results ———

export const NOTARY_REFUSALS = [
  'invalid_entry',
  'unknown_member',
  'membership_pending',
  'membership_rejected',
  'membership_revoked',
  'bad_signature',
  'from_the_future',
  'fork',
  'chain_gap',
  'wrong_prev_hash',
  'input_consumed',
] as const;
export type NotaryRefusalCode = (typeof NOTARY_REFUSALS)[number];

const uint53 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Base64HashText = z.string().length(44).refine((text) => fromBase64(text)?.length === 32, 'must be the canonical base64 of 32 bytes');
const Base64Signature = z.string().length(88).refine((text) => fromBase64(text)?.length === 64, 'must be the canonical base64 of 64 bytes');

export const ReceiptSchema = z.strictObject({
  origin: z.string().min(1).max(200),
  leafIndex: uint53,
  leafHash: Base64HashText,
  node: AddressSchema,
  seq: uint53.min(1),
  entryDigest: Bytes32Schema,
  integratedAt: uint53,
  /** Ed25519 by the log key over receiptMessage(receipt), base64. */
  signature: Base64Signature,
});
export type Receipt = Readonly<z.infer<typeof ReceiptSchema>>;
export type UnsignedReceipt = Omit<Receipt, 'signature'>;

/** The exact bytes the log key signs for a receipt. */
export function receiptMessage(receipt: UnsignedReceipt): Uint8Array {
  const lines = [RECEIPT_TAG, receipt.origin, String(receipt.leafIndex), receipt.leafHash, receipt.node, String(receipt.seq), receipt.entryDigest, String(receipt.integratedAt)];
  return utf8(lines.map((line) => `${line}\n`).join(''));
}

/** A receipt and the inclusion proof of its leaf in the tree of `treeSize` leaves (the accompanying checkpoint's). */
export const NotarizedSchema = z.strictObject({
  status: z.literal('notarized'),
  receipt: ReceiptSchema,
  treeSize: uint53.min(1),
  inclusion: z.array(Base64HashText).max(MAX_PROOF_LENGTH),
});
export type Notarized = Readonly<z.infer<typeof NotarizedSchema>>;

export const RefusedSchema = z.strictObject({
  status: z.literal('refused'),
  code: z.enum(NOTARY_REFUSALS),
  message: z.string().max(500),
  /**
   * input_consumed: the consumption key and who consumed it first (leafIndex null while that entry
   * is not yet integrated; seq null when it is only claimed for another entry, not consumed yet).
   */
  consumedBy: z.strictObject({ input: ConsumptionKeySchema, node: AddressSchema, seq: uint53.min(1).nullable(), leafIndex: uint53.nullable() }).optional(),
  /** fork: the digest of the entry the network already has for this seq. */
  existingDigest: Bytes32Schema.optional(),
});
export type Refused = Readonly<z.infer<typeof RefusedSchema>>;

/** Accepted, not yet integrated when the answer was due: submit again later (idempotent). */
export const QueuedSchema = z.strictObject({ status: z.literal('queued'), entryDigest: Bytes32Schema });

export const NotaryResultSchema = z.discriminatedUnion('status', [NotarizedSchema, RefusedSchema, QueuedSchema]);
export type NotaryResult = z.infer<typeof NotaryResultSchema>;

/** The answer to a submission: one result per entry, in order, and the checkpoint the proofs lead to (null while the log is empty). */
export const NotaryResultsSchema = z.strictObject({
  checkpoint: z.string().max(64 * 1024).nullable(),
  results: z.array(NotaryResultSchema).max(MAX_SUBMISSION_ENTRIES),
});
export type NotaryResults = z.infer<typeof NotaryResultsSchema>;

export const NotaryReceiptsPageSchema = z.strictObject({
  node: AddressSchema,
  checkpoint: z.string().max(64 * 1024).nullable(),
  entries: z.array(z.strictObject({ line: z.string(), notarized: NotarizedSchema })).max(MAX_RECEIPTS_PAGE),
  /** More entries follow: ask again with afterSeq = the last seq here. */
  more: z.boolean(),
});
export type NotaryReceiptsPage = z.infer<typeof NotaryReceiptsPageSchema>;

export const InclusionProofAnswerSchema = z.strictObject({ leafIndex: uint53, treeSize: uint53.min(1), proof: z.array(Base64HashText).max(MAX_PROOF_LENGTH) });
export const ConsistencyProofAnswerSchema = z.strictObject({ from: uint53, to: uint53, proof: z.array(Base64HashText).max(MAX_PROOF_LENGTH) });
/** Raw leaves [start, start + leaves.length): each the exact leaf data (an export line) as a string. */
export const LogEntriesPageSchema = z.strictObject({ start: uint53, leaves: z.array(z.string()).max(MAX_ENTRIES_PAGE) });

/** Query strings, parsed strictly (decimal integers, canonical base64 hashes). */
const Decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a decimal integer')
  .transform(Number)
  .refine(Number.isSafeInteger, 'must be at most 2^53 − 1');
export const InclusionQuerySchema = z.strictObject({ leafHash: HashSchema, treeSize: Decimal });
export const CheckpointQuerySchema = z.strictObject({ size: Decimal.optional() });
export const ConsistencyQuerySchema = z.strictObject({ from: Decimal, to: Decimal });
export const EntriesQuerySchema = z.strictObject({ start: Decimal, end: Decimal });
export const ReceiptsQuerySchema = z.strictObject({ node: AddressSchema, afterSeq: Decimal.optional(), limit: Decimal.optional() });

// ——— Witnesses ———

/**
 * Witnesses' cosigning keys: a member with the witness role registers its Ed25519 cosignature/v1
 * vkey (type 0x04) with a signed member request; the key's name must be `witnessKeyName(address)`,
 * so a key names the member it belongs to. The server lists the registered keys at
 * `GET /v1/log/witnesses` (nodes take the ones of current witness members of the verified map).
 * A witness posts a cosignature/v1 signature line for a checkpoint size it checked; the server
 * verifies it against that key and that checkpoint text before attaching it.
 */
export function witnessKeyName(address: string): string {
  return `hdms-witness/${address.toLowerCase()}`;
}

/**
 * What a witness's identity key signs to endorse its cosigning key (ECDSA secp256k1 over SHA-256 of
 * this text, r ‖ s low-s, like a signed request): `hdms-witness-key-v1`, the network's address, the
 * member's address and the vkey, joined by "\n". The server checks it with the member's key from its
 * join and serves it with the key, so a node takes a witness key only with the member's own word
 * for it: a server cannot slip in cosignatures of keys it made up.
 */
export const WITNESS_KEY_TAG = 'hdms-witness-key-v1';
export function witnessEndorsementText(network: string, member: string, vkey: string): string {
  return [WITNESS_KEY_TAG, getAddress(network), getAddress(member), vkey].join('\n');
}
const EndorsementSchema = z.string().regex(/^0x[0-9a-f]{128}$/, 'must be 0x and r ‖ s in 128 lowercase hex digits');

export const WitnessKeyRegistrationSchema = z.strictObject({ vkey: z.string().min(1).max(200), endorsement: EndorsementSchema });
export type WitnessKeyRegistration = z.infer<typeof WitnessKeyRegistrationSchema>;
export const WitnessListSchema = z.strictObject({ witnesses: z.array(z.strictObject({ member: AddressSchema, vkey: z.string().max(200), endorsement: EndorsementSchema })).max(10_000) });
export type WitnessList = z.infer<typeof WitnessListSchema>;

/** Signs the endorsement of `vkey` with the member's identity key. */
export function endorseWitnessKey(signer: RequestSigner, network: string, vkey: string): Promise<string> {
  return signDigestLowS(signer, sha256(new TextEncoder().encode(witnessEndorsementText(network, signer.address, vkey))));
}

/** Whether `endorsement` is `member`'s signature over its witness key (recovering the address: for nodes). */
export function isWitnessKeyEndorsed(network: string, member: string, vkey: string, endorsement: string): boolean {
  return isSignedBy(sha256(new TextEncoder().encode(witnessEndorsementText(network, member, vkey))), endorsement, member);
}

/**
 * The cosigning keys a node takes: those of current witness members of the verified map whose
 * endorsement by the member's identity key verifies. The rest is ignored (and does not count).
 */
export function endorsedWitnessKeys(network: string, list: WitnessList, witnessMembers: ReadonlySet<string>): string[] {
  return list.witnesses.filter((w) => witnessMembers.has(w.member) && isWitnessKeyEndorsed(network, w.member, w.vkey, w.endorsement)).map((w) => w.vkey);
}
export const CosignatureSubmissionSchema = z.strictObject({
  /** The checkpoint's tree size the cosignature is for. */
  treeSize: uint53.min(1),
  /** One signed-note signature line ("— name base64"), without its newline. */
  line: z.string().min(1).max(300),
});
export const CosignatureAcceptedSchema = z.strictObject({ treeSize: uint53, cosignatures: uint53, quorum: uint53, quorumMet: z.boolean() });

// ——— Checking a receipt (the node side) ———

export type ReceiptCheck = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/**
 * Checks a notarized result against the signed entry it is for, the log's Ed25519 public key, and the
 * root of the (already opened and verified) checkpoint of `treeSize` leaves: the receipt names this
 * entry (node, seq, digest, leaf hash of its export line), its signature verifies with the log key,
 * and the inclusion proof leads to the root.
 */
export function checkNotarized(notarized: Notarized, signed: { readonly entry: LedgerEntry; readonly signature: string }, entryDigest: string, logPublicKey: Uint8Array, checkpointRoot: Uint8Array): ReceiptCheck {
  const { receipt } = notarized;
  const hash = leafHash(leafData(signed));
  if (receipt.leafHash !== toBase64(hash)) return { ok: false, problem: 'The receipt is for another leaf than this entry.' };
  if (receipt.node !== signed.entry.node || receipt.seq !== signed.entry.seq || receipt.entryDigest !== entryDigest) return { ok: false, problem: 'The receipt names another entry.' };
  const { signature, ...unsigned } = receipt;
  if (!verifyEd25519(fromBase64(signature)!, receiptMessage(unsigned), logPublicKey)) return { ok: false, problem: 'The receipt is not signed by the log key.' };
  if (receipt.leafIndex >= notarized.treeSize) return { ok: false, problem: 'The receipt\'s leaf is outside the proven tree.' };
  const proof = notarized.inclusion.map((text) => fromBase64(text)!);
  if (!verifyInclusionProof(hash, receipt.leafIndex, notarized.treeSize, proof, checkpointRoot)) return { ok: false, problem: 'The inclusion proof does not lead to the checkpoint\'s root.' };
  return { ok: true };
}
