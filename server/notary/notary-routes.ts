import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  CheckpointQuerySchema,
  ConsistencyQuerySchema,
  CosignatureSubmissionSchema,
  EntriesQuerySchema,
  InclusionQuerySchema,
  MAX_ENTRIES_PAGE,
  MAX_RECEIPTS_PAGE,
  MAX_SUBMISSION_BYTES,
  ClaimRequestSchema,
  CONSUMING_KINDS,
  NOTARY_ROUTES,
  NotarySubmissionSchema,
  type ClaimAnswer,
  type ConsumingKind,
  ReceiptsQuerySchema,
  WitnessKeyRegistrationSchema,
  witnessEndorsementText,
  witnessKeyName,
} from '../../shared/network/notary';
import { secp256k1PublicKey, verifySecp256k1Sha256 } from '../http/secp256k1';
import { DEFAULT_LEDGER_CHAIN_ID } from '../../shared/ledger/ledger-schema';
import { cosignatureTimestamp, cosignatureV1Verifier } from '../../shared/transparency/cosignature';
import { NoteError, parseNote, parseSignatureLine, parseVkey, SIGNATURE_TYPE_COSIGNATURE_V1 } from '../../shared/transparency/note';
import { readConsistencyProof } from '../../shared/transparency/tree-store';
import { encodeProof } from '../../shared/transparency/wire';
import { ApiProblem } from '../http/api-problem';
import type { RouteServices } from '../http/server-app';
import type { LogKey } from './log-key';
import { LogSequencer, type SequencerOptions } from './log-sequencer';
import { DbTreeReader, inclusionProofs, logSize, readCheckpoint } from './log-store';
import { NotaryService } from './notary-service';
import { EntryCheckPool } from './entry-check-pool';

/**
 * The notary's and the log's routes (documented in shared/network/notary.ts), and their lifecycle:
 * every server process accepts and serves; its sequencer integrates while it holds the lock.
 */
export interface NotaryConfig {
  readonly logKey: LogKey;
  readonly sequencer?: Omit<SequencerOptions, 'onIntegrated' | 'onError' | 'now'>;
  readonly receiptWaitMs?: number;
  readonly pollMs?: number;
  readonly consumingKinds?: ReadonlyMap<string, ConsumingKind>;
  /** Worker threads that check entry signatures (default: one per core, at most 4). */
  readonly checkThreads?: number;
}

export interface NotaryHandle {
  readonly service: NotaryService;
  readonly sequencer: LogSequencer;
}

const COSIGNATURE_SKEW_SECONDS = 300;

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new ApiProblem('invalid_request', 'The query string is not valid for this endpoint.');
  return parsed.data;
}

export function registerNotary(services: RouteServices, config: NotaryConfig): NotaryHandle {
  const { app, db, network, membership, now, authenticate, memberRateLimit, limits } = services;
  const key = config.logKey;
  // Ledger entries are signed under the ledger's own EIP-712 domain (shared/ledger/ledger-schema.ts),
  // not the network's settlement chain id: a node's chain starts before it joins any network.
  const checks = new EntryCheckPool(DEFAULT_LEDGER_CHAIN_ID, config.checkThreads);
  app.addHook('onClose', async () => checks.close());
  const service = new NotaryService(db, key, {
    checks,
    chainId: DEFAULT_LEDGER_CHAIN_ID,
    now,
    ...(config.receiptWaitMs !== undefined ? { receiptWaitMs: config.receiptWaitMs } : {}),
    ...(config.pollMs !== undefined ? { pollMs: config.pollMs } : {}),
    ...(config.consumingKinds !== undefined ? { consumingKinds: config.consumingKinds } : {}),
  });
  const sequencer = new LogSequencer(db, key, {
    ...config.sequencer,
    now,
    onIntegrated: () => service.notifyIntegrated(),
    onError: (error) => app.log.warn({ err: { type: (error as Error).name, message: (error as Error).message } }, 'log integration failed'),
  });
  sequencer.start();
  app.addHook('onClose', async () => sequencer.stop());

  // Per node named in a submission (the per-IP limit applies first, to every request).
  const nodeLimiter = app.createRateLimit({ max: limits.memberRateLimit.max, timeWindow: limits.memberRateLimit.windowMs, keyGenerator: (request) => `notary:${(request as FastifyRequest & { limitKey?: string }).limitKey ?? request.ip}` });
  const limitNodes = async (request: FastifyRequest, reply: FastifyReply, nodes: readonly string[]): Promise<void> => {
    for (const node of nodes) {
      (request as FastifyRequest & { limitKey?: string }).limitKey = node;
      const result = await nodeLimiter(request);
      if (!result.isAllowed && result.isExceeded) {
        void reply.header('retry-after', String(result.ttlInSeconds));
        throw new ApiProblem('rate_limited', 'Too many requests; slow down and retry later.');
      }
    }
  };

  app.post(NOTARY_ROUTES.entries, { bodyLimit: Math.max(MAX_SUBMISSION_BYTES, limits.bodyLimit) }, async (request, reply) => {
    const body = NotarySubmissionSchema.safeParse(request.body);
    if (!body.success) throw new ApiProblem('invalid_request', `The body is not {entries: [...]} with 1 to 500 signed entries.`);
    const nodes = new Set<string>();
    for (const item of body.data.entries) {
      const node = (item as { entry?: { node?: unknown } } | null)?.entry?.node;
      if (typeof node === 'string' && node.length <= 42) nodes.add(node);
    }
    await limitNodes(request, reply, [...nodes].slice(0, 50));
    return service.submit(body.data.entries, () => sequencer.poke());
  });

  app.get(NOTARY_ROUTES.receipts, async (request) => {
    const query = parseQuery(ReceiptsQuerySchema, request.query);
    const limit = Math.min(query.limit ?? MAX_RECEIPTS_PAGE, MAX_RECEIPTS_PAGE);
    if (limit < 1) throw new ApiProblem('invalid_request', 'The limit is at least 1.');
    const page = await service.receiptsOf(query.node, query.afterSeq ?? 0, limit);
    return { node: query.node, ...page };
  });

  app.get(NOTARY_ROUTES.checkpoint, async (request, reply) => {
    const query = parseQuery(CheckpointQuerySchema, request.query);
    const checkpoint = await readCheckpoint(db, query.size);
    if (checkpoint === null && query.size !== undefined) throw new ApiProblem('not_found', 'The log signed no checkpoint of this size.');
    if (checkpoint === null) throw new ApiProblem('not_found', 'The log is empty: no checkpoint has been signed yet.');
    void reply.header('cache-control', 'no-cache');
    return reply.type('text/plain; charset=utf-8').send(checkpoint.note);
  });

  app.get(NOTARY_ROUTES.inclusion, async (request) => {
    const query = parseQuery(InclusionQuerySchema, request.query);
    const size = await logSize(db);
    if (query.treeSize < 1 || query.treeSize > size) throw new ApiProblem('invalid_request', 'The tree size is not one of this log (1 to its current size).');
    const found = await db.query<{ leaf_index: number }>('SELECT leaf_index FROM log_leaves WHERE leaf_hash = $1', [query.leafHash]);
    const leafIndex = found.rows[0]?.leaf_index;
    if (leafIndex === undefined) throw new ApiProblem('not_found', 'No leaf of this log has this hash.');
    if (leafIndex >= query.treeSize) throw new ApiProblem('invalid_request', 'The leaf is not in the tree of this size.');
    const [proof] = await inclusionProofs(new DbTreeReader(db), [leafIndex], query.treeSize);
    return { leafIndex, treeSize: query.treeSize, proof: proof! };
  });

  app.get(NOTARY_ROUTES.consistency, async (request) => {
    const query = parseQuery(ConsistencyQuerySchema, request.query);
    const size = await logSize(db);
    if (query.from < 1 || query.from > query.to || query.to > size) throw new ApiProblem('invalid_request', 'The sizes must satisfy 1 ≤ from ≤ to ≤ the log\'s size.');
    const proof = await readConsistencyProof(new DbTreeReader(db), query.from, query.to);
    return { from: query.from, to: query.to, proof: encodeProof(proof) };
  });

  app.get(NOTARY_ROUTES.logEntries, async (request) => {
    const query = parseQuery(EntriesQuerySchema, request.query);
    const size = await logSize(db);
    if (query.start > query.end || query.end > size || query.end - query.start > MAX_ENTRIES_PAGE) throw new ApiProblem('invalid_request', `The range must satisfy start ≤ end ≤ the log's size, at most ${MAX_ENTRIES_PAGE} leaves.`);
    const rows = await db.query<{ line: string }>('SELECT line FROM log_leaves WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index', [query.start, query.end]);
    return { start: query.start, leaves: rows.rows.map((row) => row.line) };
  });

  // ——— Witnesses ———

  const requireWitness = async (address: string): Promise<void> => {
    const row = await db.query<{ roles: string; status: string }>('SELECT roles, status FROM members WHERE address = $1', [address]);
    if (row.rows[0] === undefined || !row.rows[0].roles.split(',').includes('witness')) throw new ApiProblem('not_a_witness', 'Only members with the witness role may do this.');
  };

  app.get(NOTARY_ROUTES.witnesses, async () => {
    const rows = await db.query<{ member: string; vkey: string; endorsement: string }>("SELECT k.member, k.vkey, k.endorsement FROM log_witness_keys k JOIN members m ON m.address = k.member WHERE m.status = 'approved' ORDER BY k.member");
    return { witnesses: rows.rows.map((row) => ({ member: row.member, vkey: row.vkey, endorsement: row.endorsement })) };
  });

  app.put(NOTARY_ROUTES.witnessMe, { preHandler: [authenticate, memberRateLimit] }, async (request) => {
    const address = request.member!.address;
    await requireWitness(address);
    const body = WitnessKeyRegistrationSchema.safeParse(request.body);
    if (!body.success) throw new ApiProblem('invalid_request', 'The body is not {vkey}.');
    let ok = false;
    try {
      const parsed = parseVkey(body.data.vkey);
      ok = parsed.type === SIGNATURE_TYPE_COSIGNATURE_V1 && parsed.name === witnessKeyName(address);
    } catch (error) {
      if (!(error instanceof NoteError)) throw error;
    }
    if (!ok) throw new ApiProblem('invalid_request', 'The vkey is not a cosignature/v1 key (type 0x04) named for this member.');
    // The member's identity key must endorse it (a delegated transport key cannot): nodes check this too.
    const member = await membership.memberKey(address);
    const text = Buffer.from(witnessEndorsementText(network.key.address, address, body.data.vkey), 'utf8');
    if (member === null || !verifySecp256k1Sha256(secp256k1PublicKey(member.publicKey), text, Buffer.from(body.data.endorsement.slice(2), 'hex'))) {
      throw new ApiProblem('bad_signature', 'The witness key is not endorsed by this member\'s identity key.');
    }
    await db.query(
      'INSERT INTO log_witness_keys (member, vkey, endorsement, registered_at) VALUES ($1, $2, $3, $4) ON CONFLICT (member) DO UPDATE SET vkey = EXCLUDED.vkey, endorsement = EXCLUDED.endorsement, registered_at = EXCLUDED.registered_at',
      [address, body.data.vkey, body.data.endorsement, now()],
    );
    return { member: address, vkey: body.data.vkey, endorsement: body.data.endorsement };
  });

  app.post(NOTARY_ROUTES.cosignatures, { preHandler: [authenticate, memberRateLimit] }, async (request) => {
    const address = request.member!.address;
    await requireWitness(address);
    const body = CosignatureSubmissionSchema.safeParse(request.body);
    if (!body.success) throw new ApiProblem('invalid_request', 'The body is not {treeSize, line}.');
    const registered = await db.query<{ vkey: string }>('SELECT vkey FROM log_witness_keys WHERE member = $1', [address]);
    if (registered.rows[0] === undefined) throw new ApiProblem('invalid_request', 'Register a cosigning key (PUT /v1/log/witnesses/me) first.');
    const stored = await db.query<{ note: string }>('SELECT note FROM log_checkpoints WHERE size = $1', [body.data.treeSize]);
    if (stored.rows[0] === undefined) throw new ApiProblem('not_found', 'The log signed no checkpoint of this size.');
    const text = parseNote(stored.rows[0].note).text;
    const vkey = parseVkey(registered.rows[0].vkey);
    const verifier = cosignatureV1Verifier(vkey.name, vkey.publicKey);
    let valid = false;
    try {
      const signature = parseSignatureLine(body.data.line);
      const timestamp = cosignatureTimestamp(signature);
      valid =
        signature.name === verifier.name &&
        signature.keyId === verifier.keyId &&
        timestamp !== null &&
        timestamp <= Math.floor(now() / 1000) + COSIGNATURE_SKEW_SECONDS &&
        verifier.verify(new TextEncoder().encode(text), signature.signature);
    } catch (error) {
      if (!(error instanceof NoteError)) throw error;
    }
    if (!valid) throw new ApiProblem('bad_cosignature', 'The cosignature does not verify with this witness\'s key over that checkpoint.');
    await db.query('INSERT INTO log_cosignatures (size, member, line, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size, member) DO UPDATE SET line = EXCLUDED.line, received_at = EXCLUDED.received_at', [
      body.data.treeSize,
      address,
      body.data.line,
      now(),
    ]);
    const checkpoint = await readCheckpoint(db, body.data.treeSize);
    const quorum = network.parameters.witnessQuorum;
    return { treeSize: body.data.treeSize, cosignatures: checkpoint?.cosignatures ?? 0, quorum, quorumMet: (checkpoint?.cosignatures ?? 0) >= quorum };
  });

  // Consumption claims (shared/network/notary.ts ClaimRequestSchema): a clinic claims the offers of
  // a purchase it is about to accept, so "already sold" is learnt before it signs the acceptance.
  const prefixes = new Set([...(config.consumingKinds ?? CONSUMING_KINDS).values()].map((rule) => rule.prefix));
  app.post(NOTARY_ROUTES.claims, { preHandler: [authenticate, memberRateLimit] }, async (request) => {
    const address = request.member!.address;
    const body = ClaimRequestSchema.safeParse(request.body);
    if (!body.success) throw new ApiProblem('invalid_request', 'The body is not {keys, claim}.');
    for (const key of body.data.keys) {
      const [prefix, node] = key.split(':');
      if (!prefixes.has(prefix!) || node !== address.toLowerCase()) throw new ApiProblem('invalid_request', 'Each key must be of a consuming kind and name the member claiming it.');
    }
    const conflict = await service.claimConsumption(address, body.data.keys, body.data.claim);
    if (conflict !== null) {
      throw new ApiProblem('input_consumed', conflict.seq === null ? 'A key is claimed for another entry of its node.' : `A key was consumed already, by entry ${conflict.seq} of its node.`);
    }
    const answer: ClaimAnswer = { keys: [...new Set(body.data.keys)], claim: body.data.claim };
    return answer;
  });

  return { service, sequencer };
}
