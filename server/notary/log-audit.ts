import { JsonRpcProvider, SigningKey, computeAddress } from 'ethers';
import { CheckpointAnchorClient, type AnchoredCheckpoint } from '../../shared/chain/checkpoint-anchor';
import { DEFAULT_LEDGER_CHAIN_ID, EntryHasher, GENESIS_PREV_HASH, ledgerDomain, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { endorsedWitnessKeys, LogEntriesPageSchema, MAX_ENTRIES_PAGE, NOTARY_ROUTES, NotarySignedEntrySchema, WitnessListSchema } from '../../shared/network/notary';
import { inspectNetworkMapForPinning, verifyNetworkMap } from '../../shared/network/network-map';
import type { PinnedNetwork } from '../../shared/network/network-domain';
import { toHex, utf8 } from '../../shared/transparency/bytes';
import { CompactTree } from '../../shared/transparency/compact-tree';
import { leafHash } from '../../shared/transparency/hash';
import { verifyLog, type LogVerificationReport } from '../../shared/transparency/log-verifier';
import { parseCheckpoint } from '../../shared/transparency/checkpoint';
import { parseNote } from '../../shared/transparency/note';
import { EntryCheckPool } from './entry-check-pool';

/**
 * What `npm run --silent log:verify -- URL` checks, without trusting the server for anything but the
 * bytes it serves:
 *
 *   1. the network map: verified against `--network ADDRESS` when given (the key a node pinned), else
 *      only self-consistent (signed by the key it names: say which network you trust);
 *   2. the log key: `--log-key VKEY` when given, else `keys.log` of that verified map;
 *   3. the checkpoint: signed by the log key, origin = the key's name, and (with `--quorum`) the
 *      cosignatures of the map's witnesses, registered keys of current witness members only, each
 *      endorsed by its member's identity key;
 *   4. the whole log replayed from its raw leaves [0, size) in pages: the root must be the
 *      checkpoint's (shared/transparency verifyLog);
 *   6. the chain anchor, when the map names a settlement chain (issue 15 item 2): the latest
 *      (size, root) the operator anchored in its CheckpointAnchor contract must be within the log
 *      served and be the root of its first `size` leaves, so a log rewritten or cut back after it
 *      was anchored is caught even if the server signs a new checkpoint for it. An unreachable
 *      chain is a failure (say `anchor: false` to skip this on purpose);
 *   5. every leaf: the strict `{entry, signature}` schema, its exact canonical line, the signature
 *      (EIP-712 under the ledger's domain; checked on worker threads a page at a time, the next page
 *      fetched meanwhile) by the node it names, and each node's chain (seq 1, 2, 3…, prevHash = the
 *      hash of the node's previous entry).
 *
 * It reports everything it found as one JSON-able object; the first MAX_REPORTED entry problems are listed.
 */
export interface AuditOptions {
  readonly network?: string;
  readonly logKey?: string;
  readonly quorum?: boolean;
  readonly fetch?: typeof fetch;
  /** Check the chain anchor (default: whenever the map names a settlement chain). */
  readonly anchor?: boolean;
  /** A JSON-RPC endpoint to read the anchor from instead of the map's (your own node of that chain). */
  readonly chainRpc?: string;
  /** Worker threads for the signature checks (default: one per core for a log of 10,000 leaves or more, whose checks outweigh the threads' start; 0 checks on this thread). */
  readonly checkThreads?: number;
}

export interface AnchorReport {
  /** The anchor read from the chain, null if it could not be read. */
  readonly latest: AnchoredCheckpoint | null;
  /** The root of the log's first `latest.size` leaves, as replayed here (0x hex). */
  readonly computedRootHash: string | null;
  readonly ok: boolean;
  readonly error?: string;
}

export interface AuditReport extends LogVerificationReport {
  readonly entries: { readonly checked: number; readonly nodes: number; readonly problems: readonly string[] };
  /** Present when the map names a settlement chain and the check was not turned off. */
  readonly anchor?: AnchorReport;
}

async function readAnchor(rpcUrl: string, chainId: number, address: string): Promise<AnchoredCheckpoint> {
  const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
  try {
    return await new CheckpointAnchorClient(address, provider).latest();
  } finally {
    provider.destroy();
  }
}

const MAX_REPORTED = 20;

async function getJson(fetcher: typeof fetch, url: string): Promise<unknown> {
  const response = await fetcher(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`${new URL(url).pathname} answered ${response.status}`);
  return response.json();
}

export async function auditLog(baseUrl: string, options: AuditOptions = {}): Promise<AuditReport> {
  const fetcher = options.fetch ?? fetch;
  const base = baseUrl.replace(/\/+$/, '');
  const mapValue = await getJson(fetcher, `${base}/v1/network-map`);
  const pinned: PinnedNetwork | null = options.network !== undefined ? null : inspectNetworkMapForPinning(mapValue).pinned;
  const map = verifyNetworkMap(pinned ?? { address: options.network!, chainId: (mapValue as { map: { parameters: { chainId: number } } }).map.parameters.chainId }, mapValue).map;
  const logKey = options.logKey ?? map.parameters.keys.log ?? '';
  if (logKey === '') throw new Error('the network map names no log key (give --log-key)');
  let witnesses: string[] = [];
  if (options.quorum === true) {
    const current = new Set(map.members.filter((m) => m.certificate.roles.includes('witness')).map((m) => m.certificate.member));
    const list = WitnessListSchema.parse(await getJson(fetcher, `${base}${NOTARY_ROUTES.witnesses}`));
    // Only keys their member's identity key endorsed: the server's word for a key does not count.
    witnesses = endorsedWitnessKeys(pinned?.address ?? options.network!, list, current);
  }
  const settlement = options.anchor === false ? undefined : map.parameters.settlement;
  let anchored: AnchoredCheckpoint | null = null;
  let anchorError: string | undefined;
  if (settlement !== undefined) {
    try {
      anchored = await readAnchor(options.chainRpc ?? settlement.rpcUrl, settlement.chainId, settlement.anchor);
    } catch (error) {
      anchorError = `could not read the checkpoint anchor on chain ${settlement.chainId}: ${(error as Error).message.slice(0, 200)}`;
    }
  }
  const response = await fetcher(`${base}${NOTARY_ROUTES.checkpoint}`, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`${NOTARY_ROUTES.checkpoint} answered ${response.status}`);
  const note = await response.text();
  let size = 0;
  try {
    size = parseCheckpoint(parseNote(note).text).size;
  } catch {
    size = 0;
  }

  const hasher = new EntryHasher(ledgerDomain());
  const heads = new Map<string, { seq: number; digest: string }>();
  // A node's public key, recovered from its first entry whose signature recovers to its address.
  const keys = new Map<string, Uint8Array>();
  const problems: string[] = [];
  let checked = 0;
  const problem = (text: string): void => {
    if (problems.length < MAX_REPORTED) problems.push(text);
  };
  const NO_KEY = new Uint8Array(0);
  const checks = new EntryCheckPool(DEFAULT_LEDGER_CHAIN_ID, options.checkThreads ?? (size >= 10_000 ? undefined : 0));

  /** One page of leaves: parsed here, signatures checked on the pool's threads, then each node's chain in log order. */
  const checkPage = async (lines: readonly string[], start: number): Promise<void> => {
    const items: { index: number; entry: LedgerEntry; signature: string; publicKey: Uint8Array }[] = [];
    lines.forEach((line, i) => {
      checked++;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        problem(`leaf ${start + i} is not JSON`);
        return;
      }
      const parsed = NotarySignedEntrySchema.safeParse(value);
      if (!parsed.success || JSON.stringify(parsed.data) !== line) {
        problem(`leaf ${start + i} is not a canonical signed entry`);
        return;
      }
      const { entry, signature } = parsed.data;
      if (!keys.has(entry.node)) {
        try {
          const recovered = SigningKey.recoverPublicKey(hasher.hash(entry), signature);
          if (computeAddress(recovered) === entry.node) keys.set(entry.node, new Uint8Array(Buffer.from(recovered.slice(2), 'hex')));
        } catch {
          // Not recoverable: this entry's check fails below, the next entry of the node tries again.
        }
      }
      items.push({ index: start + i, entry, signature, publicKey: keys.get(entry.node) ?? NO_KEY });
    });
    const results = await checks.check(items);
    items.forEach(({ index, entry }, i) => {
      const { digest, ok } = results[i]!;
      const head = heads.get(entry.node) ?? { seq: 0, digest: GENESIS_PREV_HASH };
      if (!ok) problem(`leaf ${index} (entry ${entry.seq} of ${entry.node}): the signature is not by its node`);
      if (entry.seq !== head.seq + 1) problem(`leaf ${index} (entry ${entry.seq} of ${entry.node}): expected entry ${head.seq + 1} of that node`);
      else if (entry.prevHash !== head.digest) problem(`leaf ${index} (entry ${entry.seq} of ${entry.node}): prevHash is not the hash of entry ${head.seq}`);
      heads.set(entry.node, { seq: entry.seq, digest });
    });
  };

  const fetchPage = async (start: number): Promise<readonly string[]> => {
    const end = Math.min(size, start + MAX_ENTRIES_PAGE);
    const page = LogEntriesPageSchema.parse(await getJson(fetcher, `${base}${NOTARY_ROUTES.logEntries}?start=${start}&end=${end}`));
    if (page.start !== start || page.leaves.length !== end - start) throw new Error(`the page of leaves [${start}, ${end}) came back with ${page.leaves.length} leaves`);
    return page.leaves;
  };

  // The root at the anchored size, computed from the same leaves as they pass.
  const anchorTree = anchored !== null && anchored.size > 0 && anchored.size <= size ? CompactTree.empty() : null;
  let anchorRoot: string | null = null;
  async function* leaves(): AsyncGenerator<Uint8Array> {
    // The next page is fetched while this one is checked.
    let next = size > 0 ? fetchPage(0) : null;
    for (let start = 0; next !== null; start += MAX_ENTRIES_PAGE) {
      const page = await next;
      next = start + MAX_ENTRIES_PAGE < size ? fetchPage(start + MAX_ENTRIES_PAGE) : null;
      next?.catch(() => undefined);
      await checkPage(page, start);
      for (const line of page) {
        const bytes = utf8(line);
        if (anchorTree !== null && anchorTree.size < anchored!.size) {
          anchorTree.append(leafHash(bytes));
          if (anchorTree.size === anchored!.size) anchorRoot = `0x${toHex(anchorTree.root())}`;
        }
        yield bytes;
      }
    }
  }

  const report = await verifyLog(note, { logKey, witnesses, quorum: options.quorum === true ? map.parameters.witnessQuorum : 0 }, leaves()).finally(() => checks.close());
  let anchor: AnchorReport | undefined;
  if (settlement !== undefined) {
    if (anchored === null) anchor = { latest: null, computedRootHash: null, ok: false, error: anchorError ?? 'no anchor read' };
    else if (anchored.size === 0) anchor = { latest: anchored, computedRootHash: null, ok: true };
    else if (anchored.size > size) anchor = { latest: anchored, computedRootHash: null, ok: false, error: `the chain anchors ${anchored.size} leaves, the log served has ${size}: the log was cut back after it was anchored` };
    else if (anchorRoot === null) anchor = { latest: anchored, computedRootHash: null, ok: false, error: `the log's first ${anchored.size} leaves could not be read` };
    else {
      const matches = anchorRoot === anchored.rootHash.toLowerCase();
      anchor = { latest: anchored, computedRootHash: anchorRoot, ok: matches, ...(matches ? {} : { error: `the root of the log's first ${anchored.size} leaves is not the one anchored on chain: the log was rewritten after it was anchored` }) };
    }
  }
  const ok = report.ok && problems.length === 0 && (anchor?.ok ?? true);
  return { ...report, ok, entries: { checked, nodes: heads.size, problems }, ...(anchor ? { anchor } : {}) };
}
