import { DELIVERY_IPC_CHUNK_SIZE, type NetworkPreview, type NetworkState, type StoredNetworkState } from '../../shared/ipc/network-contract';
import { API_ROUTES, JoinStatusSchema, type JoinStatus } from '../../shared/network/api';
import { NetworkDocumentError, verifyCertificate, verifyJoinRequest, type SignedCertificate, type SignedJoinRequest } from '../../shared/network/membership';
import { networkFingerprint, type PinnedNetwork } from '../../shared/network/network-domain';
import { inspectNetworkMapForPinning, verifyNetworkMap, type SignedNetworkMap } from '../../shared/network/network-map';
import { SerialQueue } from '../async/serial-queue';
import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import { RELAY_MESSAGE_KIND } from '../../shared/journal/journal-kinds';
import type { RelayArrivalMeta } from '../../shared/journal/relay-meta';
import { RELAY_ROUTES, RelaySentSchema } from '../../shared/network/relay';
import { signDelegatedRequest } from '../../shared/network/transport-delegation';
import { LedgerSync, type SyncState } from './ledger-sync';
import { putOctets, requestJson, requestJsonRpc, requestOctets, sha256Hex, whileRateLimited } from './network-http';
import { chunkPath, ChunkStoredSchema, completePath, DELIVERY_ROUTES, DeliveryListSchema, DeliveryStatusSchema, Sha256HexSchema, type DeliveryStatus } from '../../shared/network/delivery';
import { DEV_FAUCET_ROUTE, DevFaucetAnswerSchema } from '../../shared/chain/dev-faucet';
import { NetworkStore } from './network-store';
import { DatasetSaves } from './dataset-save';
import { ReceivedDeliveries } from './received-deliveries';
import { OutgoingDeliveries, type DeliveryServer } from './outgoing-deliveries';
import { RelayInbox, type RelayConnection } from './relay-inbox';
import { NetworkRefusal, serverBaseUrl } from './server-url';
import { TransportStore } from './transport-store';
import { witnessRound } from './witness-round';
import { fetchRecoverableEntries } from './ledger-recovery';
import { z } from 'zod';
import { ClaimAnswerSchema, NOTARY_ROUTES } from '../../shared/network/notary';
import { SEARCH_ROUTES, SearchQueriesPageSchema } from '../../shared/research/search-api';

/** How often the body asks the server while a node is a member or waits for approval. */
export const NETWORK_REFRESH_MS = 30_000;

/**
 * `network.*` (design §10, issue 10): the node's membership as the body keeps it. The body fetches
 * and verifies; the mind signs (the JoinRequest, with the node's identity key, which only an
 * unlocked administrator's session holds). Every map and certificate is checked against the network
 * key pinned at join: one signed by any other key raises a problem in the state (an alarm in the UI)
 * and replaces nothing. Each round (every 30 s, and on request) then runs the ledger sync
 * (ledger-sync.ts) and the witness round (witness-round.ts). The relay inbox (relay-inbox.ts) keeps
 * its stream open beside them. Member requests are signed by the body's transport key under the
 * delegation the mind renews at unlock (transport-store.ts), so all of this runs while locked.
 */
export function networkFeature({ config, log, events, vault }: BodyServices, options: { readonly refreshMs?: number } = {}) {
  const store = new NetworkStore(config.dataDir);
  const sync = new LedgerSync(config.dataDir, log.child({ component: 'ledger-sync' }));
  const transport = new TransportStore(config.dataDir);
  const queue = new SerialQueue();
  const received = new ReceivedDeliveries(config.dataDir);
  // The clinic's releases staged on disk (still sealed); a day-old leftover is removed at start.
  const outgoing = new OutgoingDeliveries(config.dataDir);
  void outgoing.sweep().catch(() => log.warn('outgoing-deliveries could not be swept'));
  const saves = new DatasetSaves({ log: log.child({ component: 'dataset-save' }), protectedDir: config.dataDir });
  let timer: ReturnType<typeof setInterval> | null = null;

  /** How the body speaks for its member now: the delegated transport key, or why it cannot. */
  async function memberConnection(): Promise<RelayConnection | { readonly waiting: string }> {
    const state = (await store.read())?.state ?? null;
    if (state === null || state.status !== 'approved') return { waiting: 'This node is not an approved member yet.' };
    const current = await transport.current(state.node, state.network.address);
    if (current === null) return { waiting: 'Unlock the node (administrator or clinician) to renew its network delegation.' };
    return {
      url: state.url,
      sign: (method, path, body, bodySha256) =>
        signDelegatedRequest(current.key, current.delegation, { network: state.network.address, method, path, ...(body === undefined ? {} : { body }), ...(bodySha256 === undefined ? {} : { bodySha256 }) }),
    };
  }

  /** The member connection for a request the mind asked for; E_CONFLICT with the reason while there is none. */
  async function connected(): Promise<RelayConnection> {
    const connection = await memberConnection();
    if ('waiting' in connection) throw new NetworkRefusal('E_CONFLICT', connection.waiting);
    return connection;
  }

  const inbox = new RelayInbox({
    log: log.child({ component: 'relay-inbox' }),
    connection: () => (vault.status.state === 'absent' ? Promise.resolve({ waiting: 'No vault exists yet.' }) : memberConnection()),
    journal: async (envelope, receivedAt) => {
      const open = await vault.require();
      const meta: RelayArrivalMeta = { v: 1, envelope, receivedAt };
      const sealed = await open.sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify(meta)));
      const { seq } = await open.storage.journal.append({ kind: RELAY_MESSAGE_KIND, operator: null, objects: [], meta: Buffer.from(sealed).toString('base64url') });
      open.onDurable(seq);
    },
    ack: async (connection, ids) => {
      await requestJson(`${connection.url}${RELAY_ROUTES.ack}`, { method: 'POST', body: { ids }, sign: connection.sign });
    },
    changed: () => {
      void store.read().then(
        async (stored) => emit(await composed(stored?.state ?? null)),
        () => undefined,
      );
    },
  });

  /** A witness round after the ledger sync (witness-round.ts): which entries are witnessed, and this node's cosignature. */
  async function witness(state: StoredNetworkState, synced: SyncState | undefined): Promise<SyncState | undefined> {
    if (synced === undefined || state.status !== 'approved' || synced.split !== null) return undefined;
    const connection = await memberConnection();
    if ('waiting' in connection) return undefined;
    try {
      return await sync.saveWitness(await witnessRound(state, synced.checkpoint, transport, connection));
    } catch (error) {
      if (!(error instanceof NetworkRefusal)) log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'witness round failed');
      return sync.saveWitness({ witnessedSize: 0, cosignatures: synced.cosignatures, problem: error instanceof NetworkRefusal ? error.message : 'The witness round failed.' });
    }
  }

  /** Starts the inbox when it is off or waiting and the node may be able to connect now. */
  function wakeInbox(state: StoredNetworkState): void {
    const now = inbox.status().state;
    if (state.status === 'approved' && (now === 'off' || now === 'waiting')) inbox.start();
  }

  /** The stored membership with the ledger sync's summary (how many entries wait, the last checkpoint). */
  async function composed(state: StoredNetworkState | null, synced?: SyncState): Promise<NetworkState | null> {
    if (state === null) return null;
    const current = synced ?? (await sync.read());
    const expiresAt = await transport.expiresAt().catch(() => null);
    let outboxSeq = current.notarizedSeq;
    try {
      const open = vault.status.state === 'absent' ? null : await vault.require();
      if (open !== null) outboxSeq = await open.outbox.lastSeq();
    } catch {
      // No vault open: nothing is waiting that the body could send.
    }
    return {
      ...state,
      sync:
        current.lastSyncAt === null && current.problem === null
          ? null
          : {
              notarizedSeq: current.notarizedSeq,
              submittedSeq: Math.max(current.submittedSeq, current.notarizedSeq),
              queued: Math.max(0, outboxSeq - current.notarizedSeq),
              checkpointSize: current.checkpointSize,
              lastSyncAt: current.lastSyncAt,
              problem: current.problem,
              alarm: current.split !== null,
              witnessedSize: current.witnessedSize,
              cosignatures: current.cosignatures,
              witnessProblem: current.witnessProblem,
            },
      relay: state.status === 'approved' ? inbox.status() : null,
      delegationExpiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    };
  }

  const emit = (state: NetworkState | null): void => events.emit('network.changed', { state });

  async function fetchMap(base: string, etag: string | null = null) {
    return requestJson(`${base}${API_ROUTES.networkMap}`, { etag });
  }

  /**
   * Asks the server for the join's status and the map; keeps what verifies; then, for a member with
   * an open vault, one round of ledger sync (ledger-sync.ts). One at a time.
   */
  function refresh(): Promise<NetworkState | null> {
    return queue.run(async () => {
      const stored = await store.read();
      if (stored === null) return null;
      const { state } = stored;
      const pinned: PinnedNetwork = { address: state.network.address, chainId: state.network.chainId };
      let next: StoredNetworkState = state;
      let etag = stored.etag;
      try {
        const joined = await requestJson(`${state.url}${API_ROUTES.joinStatus(state.node)}`);
        const status = parseJoinStatus(joined.body);
        const certificate = status.certificate === null ? null : checkedCertificate(pinned, status.certificate, state.node);
        // A summary written before members' message keys were kept is fetched whole once.
        const stale = state.map?.members.some((member) => member.messageKey === undefined) ?? false;
        const map = await fetchMap(state.url, stale ? null : stored.etag);
        let summary = state.map;
        if (map.status !== 304) {
          summary = mapSummary(verifyNetworkMap(pinned, map.body, state.map === null ? {} : { minEpoch: state.map.epoch }));
          etag = map.etag;
        }
        next = { ...state, status: status.status, certificate: certificate ?? state.certificate, map: summary, lastContactAt: new Date().toISOString(), problem: null };
      } catch (error) {
        const problem = problemOf(error);
        if (problem === null) throw error;
        if (error instanceof NetworkDocumentError) log.warn({ problem: error.problem }, 'network document refused');
        next = { ...state, problem };
      }
      await store.write(next, etag);
      wakeInbox(next);
      let synced: SyncState | undefined;
      if (vault.status.state !== 'absent') {
        try {
          synced = await sync.round(next, await vault.require());
        } catch (error) {
          log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'ledger sync round failed');
        }
        synced = (await witness(next, synced)) ?? synced;
      }
      const answer = await composed(next, synced);
      emit(answer);
      return answer;
    });
  }

  function startTimer(): void {
    if (timer !== null) return;
    timer = setInterval(() => {
      refresh().catch((error: unknown) => log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'network refresh failed'));
    }, options.refreshMs ?? NETWORK_REFRESH_MS);
    timer.unref();
  }

  void store.read().then(
    (stored) => {
      if (stored === null) return;
      startTimer();
      wakeInbox(stored.state);
    },
    () => log.warn('network/membership.json could not be read'),
  );

  return bodyFeature<'network'>({
    name: 'network',
    handlers: {
      'network.status': async () => ({ state: await composed((await store.read())?.state ?? null) }),
      'network.inspect': async ({ url }) => {
        const base = serverBaseUrl(url);
        const { body } = await fetchMap(base);
        return { preview: previewOf(base, body) };
      },
      'network.join': ({ url, fingerprint, request }) =>
        queue.run(async () => {
          const base = serverBaseUrl(url);
          if ((await store.read()) !== null) throw new NetworkRefusal('E_CONFLICT', 'This node has joined a network already.');
          // The map again: the key the admin compared must still be the network's.
          const { body } = await fetchMap(base);
          const preview = previewOf(base, body);
          if (preview.fingerprint !== fingerprint) throw new NetworkRefusal('E_CONFLICT', 'The network now shows another key than the fingerprint you compared; nothing was sent.');
          const pinned: PinnedNetwork = { address: preview.address, chainId: preview.chainId };
          const verified = checkedJoinRequest(pinned, request);
          const answer = await requestJson(`${base}${API_ROUTES.join}`, { method: 'POST', body: request });
          const status = parseJoinStatus(answer.body);
          const certificate = status.certificate === null ? null : checkedCertificate(pinned, status.certificate, verified.request.node);
          const map = inspectNetworkMapForPinning(body).signed;
          const state: StoredNetworkState = {
            url: base,
            network: { name: preview.name, address: preview.address, chainId: preview.chainId, fingerprint: preview.fingerprint },
            node: verified.request.node,
            roles: [...verified.request.roles],
            status: status.status,
            certificate,
            map: mapSummary(map),
            joinedAt: new Date().toISOString(),
            lastContactAt: new Date().toISOString(),
            problem: null,
          };
          await store.write(state, null);
          log.info({ status: state.status, roles: state.roles.length }, 'network join request sent');
          const joined = (await composed(state))!;
          emit(joined);
          startTimer();
          return { state: joined };
        }),
      'network.refresh': async () => ({ state: await refresh() }),
      'network.transport': async () => {
        const state = (await store.read())?.state ?? null;
        const witnessing = state !== null && state.roles.includes('witness') ? await transport.witness(state.node) : null;
        return { transportKey: await transport.publicKey(), expiresAt: await transport.expiresAt(), witnessVkey: witnessing?.vkey ?? null, witnessEndorsed: witnessing?.endorsement !== null && witnessing !== null };
      },
      'network.delegate': ({ delegation, witnessEndorsement }) =>
        queue.run(async () => {
          const stored = await store.read();
          if (stored === null) throw new NetworkRefusal('E_CONFLICT', 'This node has not joined a network.');
          const problem = await transport.accept(delegation, stored.state.node, stored.state.network.address);
          if (problem !== null) throw new NetworkRefusal('E_BAD_REQUEST', `delegation: ${problem}.`);
          if (witnessEndorsement !== undefined) {
            const refused = await transport.acceptWitnessEndorsement(witnessEndorsement, stored.state.node, stored.state.network.address);
            if (refused !== null) throw new NetworkRefusal('E_BAD_REQUEST', `witnessEndorsement: ${refused}.`);
          }
          log.info({ notAfter: new Date(delegation.notAfter).toISOString() }, 'network delegation renewed');
          if (stored.state.status === 'approved') inbox.start();
          const answer = await composed(stored.state);
          emit(answer);
          return { state: answer };
        }),
      'network.recover': async ({ afterSeq, headHash }) => {
        const stored = await store.read();
        if (stored === null) return { entries: [], more: false };
        const recovered = await fetchRecoverableEntries(stored.state, afterSeq, headHash);
        if (recovered.entries.length > 0) log.info({ afterSeq, recovered: recovered.entries.length }, 'ledger entries recovered from the notary');
        return { entries: [...recovered.entries], more: recovered.more };
      },
      'network.send': async ({ envelopes }) => {
        const connection = await memberConnection();
        if ('waiting' in connection) throw new NetworkRefusal('E_CONFLICT', connection.waiting);
        const stored = await store.read();
        if (envelopes.some((envelope) => envelope.from !== stored?.state.node)) throw new NetworkRefusal('E_BAD_REQUEST', 'envelopes: a message must be from this node.');
        const answer = await requestJson(`${connection.url}${RELAY_ROUTES.messages}`, { method: 'POST', body: { envelopes }, sign: connection.sign });
        const sent = RelaySentSchema.safeParse(answer.body);
        if (!sent.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The relay answered in a form this node does not understand.');
        return sent.data;
      },
      'network.postQuery': async (signed) => {
        const connection = await memberConnection();
        if ('waiting' in connection) throw new NetworkRefusal('E_CONFLICT', connection.waiting);
        const stored = await store.read();
        if (signed.query.researcher !== stored?.state.node) throw new NetworkRefusal('E_BAD_REQUEST', 'query: a query must be signed by this node.');
        const answer = await requestJson(`${connection.url}${SEARCH_ROUTES.queries}`, { method: 'POST', body: signed, sign: connection.sign });
        const posted = z.strictObject({ seq: z.number().int().min(1) }).safeParse(answer.body);
        if (!posted.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The search service answered in a form this node does not understand.');
        return posted.data;
      },
      'network.claim': async (request) => {
        const connection = await memberConnection();
        if ('waiting' in connection) throw new NetworkRefusal('E_CONFLICT', connection.waiting);
        try {
          const answer = await requestJson(`${connection.url}${NOTARY_ROUTES.claims}`, { method: 'POST', body: request, sign: connection.sign });
          if (!ClaimAnswerSchema.safeParse(answer.body).success) throw new NetworkRefusal('E_UNAVAILABLE', 'The notary answered in a form this node does not understand.');
          return { status: 'claimed' as const };
        } catch (error) {
          // 409 input_consumed: sold already (or claimed for another request); anything else is a failure.
          if (error instanceof NetworkRefusal && error.message.includes('(input_consumed)')) return { status: 'consumed' as const };
          throw error;
        }
      },
      'network.chain': async ({ method, params }) => {
        const stored = await store.read();
        const settlement = stored?.state.map?.settlement;
        if (settlement === undefined) throw new NetworkRefusal('E_CONFLICT', 'The network names no settlement chain.');
        // The map is signed by the pinned network key; its endpoint still obeys the node's URL rules.
        let rpcUrl: string;
        try {
          rpcUrl = serverBaseUrl(settlement.rpcUrl);
        } catch {
          throw new NetworkRefusal('E_CONFLICT', 'The network\'s settlement chain endpoint is not one this node may call (plain http:// only to this computer).');
        }
        return requestJsonRpc(rpcUrl, method, params);
      },
      'network.faucet': async () => {
        const connection = await memberConnection();
        if ('waiting' in connection) throw new NetworkRefusal('E_CONFLICT', connection.waiting);
        let answer;
        try {
          answer = await requestJson(`${connection.url}${DEV_FAUCET_ROUTE}`, { method: 'POST', body: {}, sign: connection.sign, timeoutMs: 60_000 });
        } catch (error) {
          if (error instanceof NetworkRefusal && error.message.includes('(not_found)')) throw new NetworkRefusal('E_CONFLICT', 'This network gives no demo PHD (it settles on a real chain): get PHD from the network operator.');
          throw error;
        }
        const parsed = DevFaucetAnswerSchema.safeParse(answer.body);
        if (!parsed.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The faucet answered in a form this node does not understand.');
        return parsed.data;
      },
      // Deliveries (shared/network/delivery.ts): the body carries the sealed package's bytes, which it cannot read.
      'network.deliveryCreate': async (input) => {
        const connection = await connected();
        const answer = await requestJson(`${connection.url}${DELIVERY_ROUTES.deliveries}`, { method: 'POST', body: { ...input, chunkSize: DELIVERY_IPC_CHUNK_SIZE }, sign: connection.sign });
        const status = deliveryStatus(answer.body);
        const same = status.id === input.id && status.recipient.toLowerCase() === input.recipient.toLowerCase() && status.purchaseId === input.purchaseId && status.size === input.size && status.sha256 === input.sha256 && status.chunkSize === DELIVERY_IPC_CHUNK_SIZE;
        if (!same) throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered with another delivery than the one created.');
        return status;
      },
      'network.deliveryChunk': async ({ id, index, data }) => {
        const bytes = Buffer.from(data, 'base64url');
        // Buffer decodes leniently: only the canonical spelling of 1 byte to a chunk's size is taken.
        if (bytes.length === 0 || bytes.length > DELIVERY_IPC_CHUNK_SIZE || bytes.toString('base64url') !== data) throw new NetworkRefusal('E_BAD_REQUEST', `data: a chunk is 1 to ${DELIVERY_IPC_CHUNK_SIZE} bytes in base64url.`);
        const connection = await connected();
        const answer = await putOctets(`${connection.url}${chunkPath(id, index)}`, bytes, { sign: connection.sign });
        const stored = ChunkStoredSchema.safeParse(answer.body);
        if (!stored.success || stored.data.index !== index || stored.data.sha256 !== sha256Hex(bytes)) throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered the chunk in a form this node does not understand.');
        return stored.data;
      },
      'network.deliveryComplete': async ({ id }) => {
        const connection = await connected();
        // The server hashes the whole blob from disk before it answers.
        const answer = await requestJson(`${connection.url}${completePath(id)}`, { method: 'POST', sign: connection.sign, timeoutMs: DELIVERY_COMPLETE_TIMEOUT_MS });
        const status = deliveryStatus(answer.body);
        if (status.id !== id || status.state !== 'complete') throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered with another delivery than the one completed.');
        log.info({ size: status.size, chunks: status.chunkCount }, 'delivery completed');
        return status;
      },
      'network.deliveries': async () => {
        const connection = await connected();
        const answer = await requestJson(`${connection.url}${DELIVERY_ROUTES.deliveries}?as=recipient`, { sign: connection.sign });
        const list = DeliveryListSchema.safeParse(answer.body);
        if (!list.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered in a form this node does not understand.');
        return list.data;
      },
      'network.deliveryRead': async ({ id, index, keep }) => {
        // A kept chunk (checked again on every read) needs no server: the dataset outlives the delivery's TTL.
        const kept = keep === true ? await received.read(id, index) : null;
        if (kept !== null) return { data: kept.bytes.toString('base64url'), sha256: kept.sha256 };
        const connection = await connected();
        // A delivery's chunks are at most its chunk size: the node's own deliveries use DELIVERY_IPC_CHUNK_SIZE.
        // A download of thousands of chunks meets the server's request limit: each chunk waits its turn.
        const { bytes, declaredSha256 } = await whileRateLimited(() => requestOctets(`${connection.url}${chunkPath(id, index)}`, { sign: connection.sign, maxBytes: DELIVERY_IPC_CHUNK_SIZE }));
        const sha256 = sha256Hex(bytes);
        if (!Sha256HexSchema.safeParse(declaredSha256).success || declaredSha256 !== sha256) throw new NetworkRefusal('E_UNAVAILABLE', 'The chunk the delivery service sent does not hash to the SHA-256 it declared; it was not passed on.');
        if (keep === true) await received.keep(id, index, bytes);
        return { data: bytes.toString('base64url'), sha256 };
      },
      // A release staged on the body's disk as the mind seals it, then uploaded from there (outgoing-deliveries.ts).
      'network.deliveryStage': ({ id, index, data }) => {
        const bytes = Buffer.from(data, 'base64url');
        if (bytes.length === 0 || bytes.length > DELIVERY_IPC_CHUNK_SIZE || bytes.toString('base64url') !== data) throw new NetworkRefusal('E_BAD_REQUEST', `data: a chunk is 1 to ${DELIVERY_IPC_CHUNK_SIZE} bytes in base64url.`);
        return outgoing.stage(id, index, bytes);
      },
      'network.deliveryStageFinish': async (input) => {
        const connection = await connected();
        const server: DeliveryServer = {
          // An upload of thousands of chunks meets the server's request limit: each request waits its turn (whileRateLimited).
          create: async (create) => {
            const answer = await whileRateLimited(() => requestJson(`${connection.url}${DELIVERY_ROUTES.deliveries}`, { method: 'POST', body: { ...create, chunkSize: DELIVERY_IPC_CHUNK_SIZE }, sign: connection.sign }));
            const status = deliveryStatus(answer.body);
            const same = status.id === create.id && status.recipient.toLowerCase() === create.recipient.toLowerCase() && status.purchaseId === create.purchaseId && status.size === create.size && status.sha256 === create.sha256 && status.chunkSize === DELIVERY_IPC_CHUNK_SIZE;
            if (!same) throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered with another delivery than the one created.');
            return status;
          },
          chunk: async (id, index, bytes) => {
            const answer = await whileRateLimited(() => putOctets(`${connection.url}${chunkPath(id, index)}`, bytes, { sign: connection.sign }));
            const stored = ChunkStoredSchema.safeParse(answer.body);
            if (!stored.success || stored.data.index !== index || stored.data.sha256 !== sha256Hex(bytes)) throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered the chunk in a form this node does not understand.');
          },
          complete: async (id) => {
            const answer = await whileRateLimited(() => requestJson(`${connection.url}${completePath(id)}`, { method: 'POST', sign: connection.sign, timeoutMs: DELIVERY_COMPLETE_TIMEOUT_MS }));
            const status = deliveryStatus(answer.body);
            if (status.id !== id || status.state !== 'complete') throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered with another delivery than the one completed.');
            return status;
          },
        };
        const status = await outgoing.finish(input, server);
        log.info({ size: status.size, chunks: status.chunkCount }, 'staged delivery completed');
        return status;
      },
      'network.deliveryStageAbort': async ({ id }) => {
        await outgoing.abort(id);
        return {};
      },
      // Saving an opened dataset's files to a folder (dataset-save.ts); the mind journals it as an export.
      'network.datasetSaveBegin': ({ folder }) => saves.begin(folder),
      'network.datasetSaveWrite': ({ handle, path, data }) => saves.write(handle, path, data),
      'network.datasetSaveFinish': ({ handle }) => saves.finish(handle),
      'network.datasetSaveAbort': async ({ handle }) => {
        await saves.abort(handle);
        return {};
      },
      'network.chooseFolder': async () => {
        const dialogs = config.datasetDialogs;
        if (dialogs === undefined) throw new NetworkRefusal('E_UNAVAILABLE', 'The browser shell has no folder dialog: type the folder\'s path.');
        return { path: await dialogs.chooseFolder() };
      },
      'network.openQueries': async ({ after }) => {
        const connection = await memberConnection();
        if ('waiting' in connection) throw new NetworkRefusal('E_CONFLICT', connection.waiting);
        const answer = await requestJson(`${connection.url}${SEARCH_ROUTES.queries}?after=${after}`, { sign: connection.sign });
        const page = SearchQueriesPageSchema.safeParse(answer.body);
        if (!page.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The search service answered in a form this node does not understand.');
        return page.data;
      },
    },
    // The inbox journals into the vault: it may start once the vault's storage is open.
    onVaultOpen: async () => {
      const stored = await store.read().catch(() => null);
      if (stored !== null) wakeInbox(stored.state);
    },
    stop: async () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await inbox.stop();
      // An unfinished save is removed rather than left half-written.
      await saves.stop();
      await queue.run(async () => undefined);
    },
  });
}

/** How long the server may take to hash a whole delivery from disk when it is completed. */
const DELIVERY_COMPLETE_TIMEOUT_MS = 120_000;

function deliveryStatus(body: unknown): DeliveryStatus {
  const parsed = DeliveryStatusSchema.safeParse(body);
  if (!parsed.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service answered in a form this node does not understand.');
  return parsed.data;
}

function previewOf(base: string, body: unknown): NetworkPreview {
  let inspected: ReturnType<typeof inspectNetworkMapForPinning>;
  try {
    inspected = inspectNetworkMapForPinning(body);
  } catch (error) {
    throw new NetworkRefusal('E_CONFLICT', `That server's network map does not verify (${error instanceof NetworkDocumentError ? error.problem : 'schema'}).`);
  }
  const { map } = inspected.signed;
  return {
    url: base,
    name: map.parameters.name,
    address: inspected.pinned.address,
    chainId: inspected.pinned.chainId,
    fingerprint: networkFingerprint(inspected.pinned),
    epoch: map.epoch,
    members: map.members.length,
    minAppVersion: map.parameters.minAppVersion,
  };
}

function parseJoinStatus(body: unknown): JoinStatus {
  const parsed = JoinStatusSchema.safeParse(body);
  if (!parsed.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The network server answered the join in a form this node does not understand.');
  return parsed.data;
}

function checkedJoinRequest(pinned: PinnedNetwork, request: SignedJoinRequest) {
  try {
    return verifyJoinRequest(pinned, request);
  } catch (error) {
    throw new NetworkRefusal('E_BAD_REQUEST', `request: the join request does not verify for this network (${error instanceof NetworkDocumentError ? error.problem : 'schema'}).`);
  }
}

function checkedCertificate(pinned: PinnedNetwork, value: unknown, node: string): SignedCertificate {
  const certificate = verifyCertificate(pinned, value);
  if (certificate.certificate.member !== node) throw new NetworkDocumentError('certificate names another member', 'network');
  return certificate;
}

function mapSummary(signed: SignedNetworkMap): NonNullable<StoredNetworkState['map']> {
  const { map } = signed;
  return {
    epoch: map.epoch,
    members: map.members.map(({ certificate }) => ({ address: certificate.member, legalName: certificate.legalName, country: certificate.country, roles: [...certificate.roles], messageKey: certificate.messageKey })),
    witnessQuorum: map.parameters.witnessQuorum,
    minAppVersion: map.parameters.minAppVersion,
    // Read loosely: maps signed before the notary existed carry no log key.
    logKey: (map.parameters.keys as { readonly log?: string }).log ?? '',
    ...(map.parameters.settlement ? { settlement: { ...map.parameters.settlement } } : {}),
  };
}

/** What the state says when a contact failed; null for an error that is not about the network (a bug). */
function problemOf(error: unknown): string | null {
  if (error instanceof NetworkRefusal) return error.message;
  if (error instanceof NetworkDocumentError) {
    return error.problem === 'epoch'
      ? 'Alarm: the server sent an older network map than one this node has seen (a rollback or a split view).'
      : `Alarm: the server sent a network document that does not verify against the key pinned at join (${error.problem}).`;
  }
  return null;
}
