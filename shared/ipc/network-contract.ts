import { z } from 'zod';
import { SearchQueriesPageSchema, SignedKeywordQuerySchema } from '../research/search-api';
import { AddressSchema } from '../ledger/ledger-schema';
import { MEMBERSHIP_STATUSES } from '../network/api';
import { SignedCertificateSchema, SignedJoinRequestSchema } from '../network/membership';
import { MEMBER_ROLES } from '../network/network-domain';
import { DevFaucetAnswerSchema } from '../chain/dev-faucet';
import { ChunkStoredSchema, DeliveryCreateSchema, DeliveryIdSchema, DeliveryListSchema, DeliveryStatusSchema, Sha256HexSchema } from '../network/delivery';
import { base64url } from './intake-contract';
import { SettlementSchema } from '../network/network-map';
import { ClaimRequestSchema, NotarySignedEntrySchema } from '../network/notary';
import { RelaySendSchema, RelaySentSchema } from '../network/relay';
import { TransportDelegationSchema } from '../network/transport-delegation';
import { event, method } from './method';

/**
 * Joining a network (design §10, issue 10 item 2) as the body sees it. The body is the node's only
 * network client: it fetches the network map, posts the join request the mind signed with the
 * node's identity key, polls for the certificate, and keeps what it learned in
 * `<data>/network/membership.json`. It verifies every map and certificate against the network key
 * pinned at join (shared/network): signatures need no vault key.
 */

/** A server's base URL: http(s), no credentials, query or fragment; plain http only to a loopback host. */
export const NetworkUrlSchema = z.string().trim().min(1).max(2048);

/**
 * What the mind may ask of the settlement chain: what ethers needs to read state, estimate and send
 * a transaction it signed, and follow it to its receipt. Nothing that signs on the node (there is
 * no account there) or administers the chain.
 */
export const CHAIN_RPC_METHODS = [
  'eth_chainId',
  'eth_blockNumber',
  'eth_getBlockByNumber',
  'eth_getBalance',
  'eth_getCode',
  'eth_getTransactionCount',
  'eth_call',
  'eth_estimateGas',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_sendRawTransaction',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getLogs',
] as const;
export const ChainCallSchema = z.strictObject({
  method: z.enum(CHAIN_RPC_METHODS),
  params: z.array(z.unknown()).max(8),
});
export type ChainCall = z.infer<typeof ChainCallSchema>;
export const ChainAnswerSchema = z.union([
  z.strictObject({ result: z.unknown() }),
  z.strictObject({ error: z.strictObject({ code: z.number().int(), message: z.string().max(500), data: z.unknown().optional() }) }),
]);
export type ChainAnswer = z.infer<typeof ChainAnswerSchema>;

/**
 * A delivery's chunks cross between the mind and the body at this size, which is also the chunk size
 * of deliveries the node creates (a multiple of 64 KiB; shared/network/delivery.ts).
 */
export const DELIVERY_IPC_CHUNK_SIZE = 512 * 1024;
const DELIVERY_CHUNK_CHARS = Math.ceil((DELIVERY_IPC_CHUNK_SIZE * 4) / 3);

export const NetworkMemberSummarySchema = z.strictObject({
  address: AddressSchema,
  legalName: z.string(),
  country: z.string(),
  roles: z.array(z.enum(MEMBER_ROLES)),
  /** The member's message key (0x04 ‖ X ‖ Y, P-256) from its certificate: what a relay message to it is encrypted to. Absent in files written before the relay. */
  messageKey: z.string().max(200).optional(),
});

/** The body's relay inbox (electron/network/relay-inbox.ts). */
export const RelayStatusSchema = z.strictObject({
  /** off: not a member yet; waiting: needs something (an unlock to renew the delegation); retrying: the stream dropped. */
  state: z.enum(['off', 'waiting', 'connecting', 'connected', 'retrying']),
  /** Why it waits or retries (PHI-free), or null. */
  detail: z.string().nullable(),
  /** Messages journaled since the body started. */
  received: z.number().int().min(0),
  lastMessageAt: z.iso.datetime().nullable(),
});
export type RelayStatus = z.infer<typeof RelayStatusSchema>;
export type NetworkMemberSummary = z.infer<typeof NetworkMemberSummarySchema>;

/** What the node pinned at join: the network's key (address), chain id, name and fingerprint. */
export const PinnedNetworkSummarySchema = z.strictObject({
  name: z.string(),
  address: AddressSchema,
  chainId: z.number().int().positive(),
  fingerprint: z.string(),
});

export const NetworkStateSchema = z.strictObject({
  url: z.string(),
  network: PinnedNetworkSummarySchema,
  /** This node's identity address (the JoinRequest's signer). */
  node: AddressSchema,
  roles: z.array(z.enum(MEMBER_ROLES)),
  status: z.enum(MEMBERSHIP_STATUSES),
  certificate: SignedCertificateSchema.nullable(),
  /** The last network map that verified against the pinned key. */
  map: z
    .strictObject({
      epoch: z.number().int().min(0),
      members: z.array(NetworkMemberSummarySchema),
      witnessQuorum: z.number().int().min(0),
      minAppVersion: z.string(),
      /** The notary's log key (C2SP vkey) the map names, or '' before the network has one. */
      logKey: z.string().max(200),
      /** Where purchases are paid (shared/network/network-map.ts Settlement); absent on a network without a chain. */
      settlement: SettlementSchema.optional(),
    })
    .nullable(),
  joinedAt: z.iso.datetime(),
  /** The last answer from the server (ISO), or null. */
  lastContactAt: z.iso.datetime().nullable(),
  /**
   * Why the last contact failed or what it refused (PHI-free): the server unreachable, or an alarm
   * such as a map or certificate not signed by the pinned key. Null after a good contact.
   */
  problem: z.string().nullable(),
  /** The ledger's notarization (electron/network/ledger-sync.ts); null before the first round. */
  sync: z
    .strictObject({
      /** Every entry up to this seq is notarized (a checked receipt is in the journal). */
      notarizedSeq: z.number().int().min(0),
      /** Every entry up to this seq was accepted by the notary; those above notarizedSeq wait for its log ("submitted"). */
      submittedSeq: z.number().int().min(0).optional(),
      /** Entries signed but not yet notarized. */
      queued: z.number().int().min(0),
      /** The tree size of the last checkpoint the node verified. */
      checkpointSize: z.number().int().min(0),
      lastSyncAt: z.iso.datetime().nullable(),
      /** Why the last round stopped, or an alarm (a split view); null after a good round. */
      problem: z.string().nullable(),
      /** The notary showed two inconsistent checkpoints (both kept as evidence in network/sync.json). */
      alarm: z.boolean(),
      /** Every log leaf below this size is witnessed: a checkpoint of it carried the map's quorum of endorsed cosignatures. */
      witnessedSize: z.number().int().min(0).optional(),
      /** Endorsed witness cosignatures on the newest checkpoint the node kept. */
      cosignatures: z.number().int().min(0).optional(),
      /** Why this node's own witnessing stopped (a witness member), or null. */
      witnessProblem: z.string().nullable().optional(),
    })
    .nullable(),
  /** The relay inbox; null before the node is a member. */
  relay: RelayStatusSchema.nullable().optional(),
  /** When the transport delegation the mind signed runs out (ISO), or null without one. */
  delegationExpiresAt: z.iso.datetime().nullable().optional(),
});
export type NetworkState = z.infer<typeof NetworkStateSchema>;
/** What `<data>/network/membership.json` keeps (the sync and relay summaries are composed at each answer). */
export const StoredNetworkStateSchema = NetworkStateSchema.omit({ sync: true, relay: true, delegationExpiresAt: true });
export type StoredNetworkState = z.infer<typeof StoredNetworkStateSchema>;

export const NetworkPreviewSchema = z.strictObject({
  url: z.string(),
  name: z.string(),
  address: AddressSchema,
  chainId: z.number().int().positive(),
  fingerprint: z.string(),
  epoch: z.number().int().min(0),
  members: z.number().int().min(0),
  minAppVersion: z.string(),
});
export type NetworkPreview = z.infer<typeof NetworkPreviewSchema>;

export const networkMethods = {
  /** What the node knows of its network, or null before a join. */
  'network.status': method(z.strictObject({}), z.strictObject({ state: NetworkStateSchema.nullable() })),
  /**
   * First contact: fetches the server's network map and answers what joining would pin (the
   * network key's address, chain id, name and fingerprint) for the admin to compare out of band.
   */
  'network.inspect': method(z.strictObject({ url: NetworkUrlSchema }), z.strictObject({ preview: NetworkPreviewSchema })),
  /**
   * Sends the signed JoinRequest. `fingerprint` is the one the admin confirmed: the body fetches the
   * map again and refuses (E_CONFLICT) if the network now shows another key. Pins the network.
   */
  'network.join': method(
    z.strictObject({ url: NetworkUrlSchema, fingerprint: z.string().max(64), request: SignedJoinRequestSchema }),
    z.strictObject({ state: NetworkStateSchema }),
  ),
  /** Asks the server now: the join's status (and certificate), and the current network map. */
  'network.refresh': method(z.strictObject({}), z.strictObject({ state: NetworkStateSchema.nullable() })),
  /**
   * The body's transport key (0x04 ‖ X ‖ Y) and when its delegation runs out (Unix ms, or null): the
   * mind signs a new delegation at unlock when it is missing or close to its end.
   */
  'network.transport': method(
    z.strictObject({}),
    z.strictObject({
      transportKey: z.string(),
      expiresAt: z.number().int().nullable(),
      /** The body's witness cosigning key (C2SP vkey) when this node has the witness role, else null; and whether the identity key endorsed it. */
      witnessVkey: z.string().nullable(),
      witnessEndorsed: z.boolean(),
    }),
  ),
  /**
   * Keeps a delegation the mind signed with the identity key (shared/network/transport-delegation.ts),
   * and the identity key's endorsement of the witness key when given; restarts the relay stream.
   */
  'network.delegate': method(
    z.strictObject({ delegation: TransportDelegationSchema, witnessEndorsement: z.string().regex(/^0x[0-9a-f]{128}$/).optional() }),
    z.strictObject({ state: NetworkStateSchema.nullable() }),
  ),
  /**
   * Recovery (issue 10 item 10): this node's entries the notary's log holds after `afterSeq`, whose
   * chain starts from `headHash` (the EIP-712 hash of entry `afterSeq`, or zero), each checked
   * (electron/network/ledger-recovery.ts). The mind appends them before signing anything new.
   */
  'network.recover': method(
    z.strictObject({ afterSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), headHash: z.string().regex(/^0x[0-9a-f]{64}$/) }),
    z.strictObject({ entries: z.array(NotarySignedEntrySchema).max(10_000), more: z.boolean() }),
  ),
  /** Posts envelopes the mind sealed (and signed inside) to the relay, as this member. */
  'network.send': method(RelaySendSchema, RelaySentSchema),
  /** Posts a keyword query the mind signed to the network's Data Search Service (research members). */
  'network.postQuery': method(SignedKeywordQuerySchema, z.strictObject({ seq: z.number().int().min(1) })),
  /** The open queries the Data Search Service holds after `after` (clinic members): how a clinic that joined late gets them. */
  'network.openQueries': method(z.strictObject({ after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }), SearchQueriesPageSchema),
  /**
   * Claims consumption keys of this node at the notary for its coming entry of subject `claim`
   * (shared/network/notary.ts ClaimRequestSchema): `consumed` when any is consumed already or claimed
   * for another entry (a clinic's offer sold), and then nothing is claimed.
   */
  'network.claim': method(ClaimRequestSchema, z.strictObject({ status: z.enum(['claimed', 'consumed']) })),
  /**
   * One JSON-RPC call to the network's settlement chain (the map's settlement.rpcUrl), which only
   * the body can reach: reads, and raw transactions the mind signed with the identity key (a
   * researcher's escrow deposit). Only the methods in CHAIN_RPC_METHODS; the answer is the call's
   * JSON-RPC `result` or `error` (a revert with its data, for the mind to decode), or a refusal when
   * the network has no chain or the chain cannot be reached.
   */
  'network.chain': method(ChainCallSchema, ChainAnswerSchema),
  /**
   * Asks the network's dev chain faucet (shared/chain/dev-faucet.ts; demo and test networks only)
   * for gas and demo PHD for this node's account, once. E_CONFLICT when the network has none.
   */
  'network.faucet': method(z.strictObject({}), DevFaucetAnswerSchema),
  /**
   * Dataset delivery through the server's blob store (shared/network/delivery.ts), carried by the
   * body for the mind, which holds the sealed package. The sender: create (chunk size
   * DELIVERY_IPC_CHUNK_SIZE; a retried create with the same fields answers the stored status, whose
   * `received` says what a resumed upload still has to send), each chunk (base64url, exactly the
   * chunk size but the last), complete (the server checks the whole hash). The recipient: list what
   * waits for it, read a chunk (with its SHA-256).
   */
  'network.deliveryCreate': method(DeliveryCreateSchema.omit({ chunkSize: true }), DeliveryStatusSchema),
  'network.deliveryChunk': method(z.strictObject({ id: DeliveryIdSchema, index: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), data: base64url.min(1).max(DELIVERY_CHUNK_CHARS) }), ChunkStoredSchema),
  'network.deliveryComplete': method(z.strictObject({ id: DeliveryIdSchema }), DeliveryStatusSchema),
  'network.deliveries': method(z.strictObject({}), DeliveryListSchema),
  /**
   * The clinic's release staged on the body's disk (issue 15 item 5), so a package of several GB is
   * never held whole: the mind hands each sealed chunk over as it is made (stage: chunk `index`,
   * base64url, in order from 0, every one but the last exactly DELIVERY_IPC_CHUNK_SIZE; the last
   * index again replaces it) and the body keeps it, still sealed, under
   * <data>/outgoing-deliveries/<id>/. Finish: the body checks the staged chunks add up to `size` and
   * hash to `sha256`, creates the delivery (chunk size DELIVERY_IPC_CHUNK_SIZE), uploads what the
   * server lacks (a retried finish resumes), completes it and removes the staged folder. Abort
   * removes it. E_CONFLICT beyond 4 deliveries staged at once, on a nearly full disk, or for a chunk
   * out of order; a staged delivery untouched for a day is removed.
   */
  'network.deliveryStage': method(
    z.strictObject({ id: DeliveryIdSchema, index: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), data: base64url.min(1).max(DELIVERY_CHUNK_CHARS) }),
    z.strictObject({ index: z.number().int().min(0), staged: z.number().int().min(0) }),
  ),
  'network.deliveryStageFinish': method(DeliveryCreateSchema.omit({ chunkSize: true }), DeliveryStatusSchema),
  'network.deliveryStageAbort': method(z.strictObject({ id: DeliveryIdSchema }), z.strictObject({})),
  /**
   * `keep: true` (the researcher opening a dataset, issue 15 item 7): the body keeps the chunk it
   * read, still sealed (only the mind holds the package key), under <data>/received-deliveries/<id>/
   * once its SHA-256 checks, and answers later reads of it from there: a dataset opened once
   * outlives the delivery store's TTL.
   */
  'network.deliveryRead': method(z.strictObject({ id: DeliveryIdSchema, index: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), keep: z.boolean().optional() }), z.strictObject({ data: base64url, sha256: Sha256HexSchema })),
  /**
   * Saving an opened dataset to a folder (issue 15 item 7: NDJSON, DICOM and CSV files), which the
   * mind journals as an export. Begin: `folder` is an absolute path, created if absent, refused if it
   * holds anything already (E_CONFLICT); the handle lasts until finish or abort (or 10 minutes
   * unused). Write: appends `data` to the file at `path` (relative, '/'-separated, no '.', '..' or
   * empty segments, at most 8 deep and 512 characters), creating it and its folders at the first
   * write. Finish: fsyncs and answers what was written. Abort: removes what this handle wrote.
   */
  'network.datasetSaveBegin': method(z.strictObject({ folder: z.string().min(1).max(4096) }), z.strictObject({ handle: DeliveryIdSchema, folder: z.string() })),
  'network.datasetSaveWrite': method(
    z.strictObject({ handle: DeliveryIdSchema, path: z.string().min(1).max(512), data: base64url.max(DELIVERY_CHUNK_CHARS) }),
    z.strictObject({ bytes: z.number().int().nonnegative() }),
  ),
  'network.datasetSaveFinish': method(z.strictObject({ handle: DeliveryIdSchema }), z.strictObject({ folder: z.string(), files: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() })),
  'network.datasetSaveAbort': method(z.strictObject({ handle: DeliveryIdSchema }), z.strictObject({})),
  /** The desktop app's folder dialog for saving a dataset: the chosen folder or null. E_UNAVAILABLE in the browser shell (type the path there). */
  'network.chooseFolder': method(z.strictObject({}), z.strictObject({ path: z.string().max(4096).nullable() })),
} as const;

export const networkEvents = {
  /** The node's network state changed (a certificate arrived, a new map, a problem). */
  'network.changed': event(z.strictObject({ state: NetworkStateSchema.nullable() })),
} as const;
