import type { AddressInfo } from 'node:net';
import { Wallet } from 'ethers';
import pino from 'pino';
import { createServerApp, type HttpLimits } from '../../../../server/http/server-app';
import { LOG_SERIALIZERS } from '../../../../server/logging';
import { ensureNetwork, type NetworkContext } from '../../../../server/network-map/network-parameters';
import { logKeyFromSeed, type LogKey } from '../../../../server/notary/log-key';
import type { NotaryConfig } from '../../../../server/notary/notary-routes';
import type { MembershipService } from '../../../../server/doorman/membership-service';
import type { Database } from '../../../../server/storage/database';
import { signEntry } from '../../../../shared/ledger/ledger-sign';
import { entryHash, GENESIS_PREV_HASH, ledgerDomain, ZERO_HASH, type LedgerEntry, type LedgerEntryKind } from '../../../../shared/ledger/ledger-schema';
import { NotaryResultsSchema, type NotaryResults } from '../../../../shared/network/notary';
import { join, newTestNode, postJson, type TestNode } from '../../support/member-client';

/** The server with its notary on a test database, and helpers to make members and their signed chains. */
export interface NotaryTestServer {
  readonly url: string;
  readonly db: Database;
  readonly network: NetworkContext;
  readonly membership: MembershipService;
  readonly logKey: LogKey;
  close(): Promise<void>;
}

export interface NotaryServerKeys {
  readonly wallet: Wallet;
  readonly seed: Uint8Array;
}

export function newServerKeys(): NotaryServerKeys {
  return { wallet: new Wallet(Wallet.createRandom().privateKey), seed: crypto.getRandomValues(new Uint8Array(32)) };
}

/** `keys`: pass the same ones to start a second server process's app on the same database. */
export async function startNotaryServer(db: Database, notary: Partial<NotaryConfig> = {}, keys: NotaryServerKeys = newServerKeys(), limits?: Partial<HttpLimits>): Promise<NotaryTestServer> {
  const { wallet, seed } = keys;
  const logKey = logKeyFromSeed(seed, wallet.address);
  const network = await ensureNetwork(db, wallet, { name: 'Notary Test Network', logVkey: logKey.vkey });
  const log = pino({ level: 'warn', serializers: LOG_SERIALIZERS }, { write: () => undefined });
  const { app, membership } = await createServerApp({ db, network, log, ...(limits ? { limits } : {}), notary: { logKey, sequencer: { intervalMs: 50, minIntervalMs: 5, acquireEveryMs: 100 }, ...notary } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, db, network, membership, logKey, close: () => app.close() };
}

/** A node that joined and was approved. */
export async function approvedMember(server: NotaryTestServer): Promise<TestNode> {
  const node = newTestNode();
  await join(server.url, node, server.network.pinned);
  await server.membership.approve(node.wallet.address);
  return node;
}

export interface SignedTestEntry {
  readonly entry: LedgerEntry;
  readonly signature: string;
}

/** A node's chain, signed for the network: continue it with `next`. */
export class TestChain {
  readonly entries: SignedTestEntry[] = [];
  #prev = GENESIS_PREV_HASH;

  constructor(
    readonly node: TestNode,
    readonly chainId: number,
  ) {}

  async next(overrides: Partial<LedgerEntry> & { kind?: LedgerEntryKind } = {}): Promise<SignedTestEntry> {
    const seq = this.entries.length + 1;
    const value = {
      seq,
      prevHash: this.#prev,
      kind: 'ACCESS' as LedgerEntryKind,
      subject: ZERO_HASH,
      operator: ZERO_HASH,
      payloadHash: `0x${seq.toString(16).padStart(64, '0')}`,
      inputs: [] as string[],
      createdAt: Date.now(),
      node: this.node.wallet.address,
      ...overrides,
    };
    const signed = await signEntry(this.node.wallet, ledgerDomain(this.chainId), value);
    if (overrides.seq === undefined && overrides.prevHash === undefined) {
      this.entries.push(signed);
      this.#prev = entryHash(ledgerDomain(this.chainId), signed.entry);
    }
    return signed;
  }

  async take(count: number): Promise<SignedTestEntry[]> {
    const out: SignedTestEntry[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next());
    return out;
  }

  digest(entry: LedgerEntry): string {
    return entryHash(ledgerDomain(this.chainId), entry);
  }
}

export async function submit(url: string, entries: readonly unknown[]): Promise<NotaryResults> {
  const response = await postJson(`${url}/v1/notary/entries`, { entries });
  if (response.status !== 200) throw new Error(`submission answered ${response.status}: ${await response.text()}`);
  return NotaryResultsSchema.parse(await response.json());
}

export async function notaryRowCounts(db: Database): Promise<Record<string, number>> {
  const result = await db.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM notary_pending) AS pending, (SELECT count(*)::int FROM log_leaves) AS leaves, (SELECT count(*)::int FROM log_nodes) AS nodes,
            (SELECT count(*)::int FROM consumed_inputs) AS consumed, (SELECT count(*)::int FROM notary_forks) AS forks, (SELECT count(*)::int FROM log_checkpoints) AS checkpoints`,
  );
  return { ...result.rows[0]! };
}
