import { z } from 'zod';
import { API_ROUTES, ApiErrorSchema, JoinStatusSchema, type JoinStatus } from '../../shared/network/api';
import type { SignedJoinRequest } from '../../shared/network/membership';
import type { PinnedNetwork } from '../../shared/network/network-domain';
import { verifyNetworkMap, type SignedNetworkMap } from '../../shared/network/network-map';
import {
  ClaimAnswerSchema,
  InclusionProofAnswerSchema,
  NOTARY_ROUTES,
  NotaryReceiptsPageSchema,
  NotaryResultsSchema,
  WitnessListSchema,
  type NotaryReceiptsPage,
  type NotaryResults,
  type WitnessList,
} from '../../shared/network/notary';
import { RELAY_MAX_PAGE, RELAY_ROUTES, RelaySentSchema, type RelayEnvelope } from '../../shared/network/relay';
import { signRequest, walletRequestSigner } from '../../shared/network/signed-request';
import type { Wallet } from 'ethers';

/**
 * The keeper's HTTP client of the network server: the public routes (join, map, log) and the signed
 * member routes (relay, claims), each answer parsed with the shared wire schemas. Answers are read
 * with a size cap, so a misbehaving server cannot make the keeper hold more than that in memory.
 */

/** Inbox pages are this small so a page of the largest messages stays a few MiB. */
export const INBOX_PAGE = 10;
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const InboxPageSchema = z.object({
  messages: z.array(z.object({ seq: z.number().int().min(1), envelope: z.unknown() })).max(RELAY_MAX_PAGE),
  next: z.number().int().min(1).nullable(),
});
export type InboxPage = z.infer<typeof InboxPageSchema>;

export class KeeperNetworkError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'KeeperNetworkError';
  }
}

async function readBody(response: Response): Promise<unknown> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_ANSWER_BYTES) throw new KeeperNetworkError('The server answered with more than the keeper reads.', response.status);
  const text = await response.text();
  if (text.length > MAX_ANSWER_BYTES) throw new KeeperNetworkError('The server answered with more than the keeper reads.', response.status);
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new KeeperNetworkError(`The server's ${what} is not in the form the keeper knows.`);
  return result.data;
}

export class KeeperClient {
  readonly #signer;

  constructor(
    readonly serverUrl: string,
    readonly identity: Wallet,
    readonly network: PinnedNetwork,
  ) {
    this.#signer = walletRequestSigner(identity);
  }

  async #request(method: string, path: string, options: { readonly body?: unknown; readonly signed?: boolean; readonly accept?: readonly number[] } = {}): Promise<{ status: number; body: unknown }> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = options.signed ? await signRequest(this.#signer, { network: this.network.address, method, path, ...(body !== undefined ? { body } : {}) }) : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.serverUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new KeeperNetworkError(`The server could not be reached (${(error as Error).name}).`);
    }
    const answer = await readBody(response);
    if (!(options.accept ?? [200]).includes(response.status)) {
      const error = ApiErrorSchema.safeParse(answer);
      throw new KeeperNetworkError(`${method} ${path.split('?')[0]} answered ${response.status}${error.success ? ` ${error.data.error.code}` : ''}.`, response.status, error.success ? error.data.error.code : null);
    }
    return { status: response.status, body: answer };
  }

  // ——— Membership and the map ———

  async networkMap(minEpoch?: number): Promise<SignedNetworkMap> {
    const { body } = await this.#request('GET', API_ROUTES.networkMap);
    return verifyNetworkMap(this.network, body, minEpoch === undefined ? {} : { minEpoch });
  }

  async join(request: SignedJoinRequest): Promise<JoinStatus> {
    const { body } = await this.#request('POST', API_ROUTES.join, { body: request, accept: [200, 202] });
    return parsed(JoinStatusSchema, body, 'join status');
  }

  async joinStatus(): Promise<JoinStatus | null> {
    const { status, body } = await this.#request('GET', API_ROUTES.joinStatus(this.identity.address), { accept: [200, 404] });
    return status === 404 ? null : parsed(JoinStatusSchema, body, 'join status');
  }

  // ——— The relay ———

  /**
   * A page of the inbox. Only the page's frame is checked here; each envelope is checked when it is
   * opened (openMessage's strict schema), so one malformed envelope is dropped on its own instead of
   * making every page unreadable.
   */
  async inbox(after: number): Promise<InboxPage> {
    const { body } = await this.#request('GET', `${RELAY_ROUTES.inbox}?after=${after}&limit=${INBOX_PAGE}`, { signed: true });
    return parsed(InboxPageSchema, body, 'inbox page');
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#request('POST', RELAY_ROUTES.ack, { body: { ids }, signed: true });
  }

  async send(envelopes: readonly RelayEnvelope[]): Promise<void> {
    const { body } = await this.#request('POST', RELAY_ROUTES.messages, { body: { envelopes }, signed: true, accept: [200, 201] });
    parsed(RelaySentSchema, body, 'relay answer');
  }

  // ——— The notary and its log ———

  /** Claims consumption keys for `claim`: true when claimed (or already claimed for it), false when consumed or claimed for another. */
  async claim(keys: readonly string[], claim: string): Promise<boolean> {
    const { status, body } = await this.#request('POST', NOTARY_ROUTES.claims, { body: { keys, claim }, signed: true, accept: [200, 409] });
    if (status === 409) return false;
    parsed(ClaimAnswerSchema, body, 'claim answer');
    return true;
  }

  async submit(entries: readonly unknown[]): Promise<NotaryResults> {
    const { body } = await this.#request('POST', NOTARY_ROUTES.entries, { body: { entries } });
    return parsed(NotaryResultsSchema, body, 'notary answer');
  }

  /** A node's notarized entry `seq`, with its receipt (null when the log has none). */
  async notarizedEntry(node: string, seq: number): Promise<NotaryReceiptsPage['entries'][number] | null> {
    const { body } = await this.#request('GET', `${NOTARY_ROUTES.receipts}?node=${node}&afterSeq=${seq - 1}&limit=1`);
    const page = parsed(NotaryReceiptsPageSchema, body, 'receipts page');
    const found = page.entries[0];
    return found !== undefined && found.notarized.receipt.seq === seq ? found : null;
  }

  async checkpoint(size?: number): Promise<string | null> {
    const { status, body } = await this.#request('GET', `${NOTARY_ROUTES.checkpoint}${size === undefined ? '' : `?size=${size}`}`, { accept: [200, 404] });
    return status === 404 || typeof body !== 'string' ? null : body;
  }

  async inclusionProof(leafHashBase64: string, treeSize: number): Promise<z.infer<typeof InclusionProofAnswerSchema> | null> {
    const { status, body } = await this.#request('GET', `${NOTARY_ROUTES.inclusion}?leafHash=${encodeURIComponent(leafHashBase64)}&treeSize=${treeSize}`, { accept: [200, 404] });
    return status === 404 ? null : parsed(InclusionProofAnswerSchema, body, 'inclusion proof');
  }

  async witnesses(): Promise<WitnessList> {
    const { body } = await this.#request('GET', NOTARY_ROUTES.witnesses);
    return parsed(WitnessListSchema, body, 'witness list');
  }
}
