import { JsonRpcProvider, type Provider } from 'ethers';
import { z } from 'zod';
import { AddressSchema } from '../../shared/ledger/ledger-schema';
import { PurchaseEscrowClient, type PurchaseRecord } from '../../shared/chain/escrow-contracts';
import { purchaseIdInput } from '../../shared/network/notary';

/**
 * What a keeper reads from the settlement chain (issue 15 items 2 and 6), and nothing else: it never
 * sends a transaction. The purchase id on the chain is the 16-byte purchase id left-padded to 32
 * bytes (purchaseIdInput, as the notary's KEY_RELEASE input).
 */
export interface EscrowView {
  /** The confirmation depth a deposit needs. */
  readonly confirmations: number;
  /** The escrow's record of the purchase, or null when nothing was deposited under it. */
  purchase(purchaseId: string): Promise<PurchaseRecord | null>;
  /** Confirmations of the purchase's Deposited event (latest block number − its block + 1: its own block counts), or null without one. */
  depositConfirmations(purchaseId: string): Promise<number | null>;
  /** The latest block's timestamp (Unix seconds): the chain's time, which the escrow deadline is in. */
  chainTime(): Promise<number>;
}

export function escrowPurchaseId(purchaseId: string): string {
  return purchaseIdInput(purchaseId);
}

/** The escrow at `address` over any ethers provider (JSON-RPC in production, ganache in tests). */
export function escrowViewOf(provider: Provider, address: string, confirmations: number): EscrowView {
  if (!Number.isSafeInteger(confirmations) || confirmations < 0) throw new RangeError('confirmations must be a whole number ≥ 0');
  const escrow = new PurchaseEscrowClient(address, provider);
  return {
    confirmations,
    async purchase(purchaseId) {
      const record = await escrow.getPurchase(escrowPurchaseId(purchaseId));
      return record.state === 'None' ? null : record;
    },
    async depositConfirmations(purchaseId) {
      const events = await escrow.contract.queryFilter(escrow.contract.filters.Deposited!(escrowPurchaseId(purchaseId)));
      const first = events[0];
      if (first === undefined) return null;
      // The block holding the deposit is its first confirmation (as ethers' wait(n) and the researcher's view count).
      return (await provider.getBlockNumber()) - first.blockNumber + 1;
    },
    async chainTime() {
      const block = await provider.getBlock('latest');
      if (block === null) throw new Error('the chain has no latest block');
      return block.timestamp;
    },
  };
}

/**
 * The settlement parameters of the network map (`map.parameters.settlement`, when the network has a
 * chain), read leniently: only what a keeper needs. chainId 0 or an empty rpcUrl means none.
 */
const MapSettlementSchema = z.object({ chainId: z.number().int().min(0), rpcUrl: z.string(), escrow: AddressSchema, confirmations: z.number().int().min(0) });

export interface ChainOverrides {
  readonly rpcUrl?: string;
  readonly escrow?: string;
  readonly confirmations?: number;
}

export interface ChainAccess {
  readonly rpcUrl: string;
  readonly escrow: string;
  readonly confirmations: number;
}

/** The chain to read: the map's settlement, each field overridden by a flag; null when neither says. */
export function chainAccessFrom(parameters: unknown, overrides: ChainOverrides): ChainAccess | null {
  const settlement = MapSettlementSchema.safeParse((parameters as { settlement?: unknown } | null)?.settlement);
  const fromMap = settlement.success && settlement.data.chainId !== 0 && settlement.data.rpcUrl !== '' ? settlement.data : null;
  const rpcUrl = overrides.rpcUrl ?? fromMap?.rpcUrl;
  const escrow = overrides.escrow ?? fromMap?.escrow;
  const confirmations = overrides.confirmations ?? fromMap?.confirmations;
  if (rpcUrl === undefined || escrow === undefined || confirmations === undefined) return null;
  return { rpcUrl, escrow, confirmations };
}

/**
 * EscrowViews over JSON-RPC for successive network maps: one provider while the map's chain (or the
 * flags) stay the same, the old one destroyed when they change, so re-reading the map every few
 * seconds opens no connections and leaves no provider retrying in the background.
 */
export class JsonRpcEscrowViews {
  #current: { readonly key: string; readonly view: EscrowView; readonly provider: JsonRpcProvider } | null = null;

  constructor(private readonly overrides: ChainOverrides) {}

  /** The view for this map's parameters, or null when neither the map nor the flags name a chain. */
  viewFor(parameters: unknown): EscrowView | null {
    const access = chainAccessFrom(parameters, this.overrides);
    const key = access === null ? '' : JSON.stringify(access);
    if (this.#current?.key === key) return this.#current.view;
    this.close();
    if (access === null) return null;
    // cacheTimeout -1: ethers would answer a repeated call within 250 ms from its cache.
    const provider = new JsonRpcProvider(access.rpcUrl, undefined, { cacheTimeout: -1 });
    this.#current = { key, view: escrowViewOf(provider, access.escrow, access.confirmations), provider };
    return this.#current.view;
  }

  close(): void {
    this.#current?.provider.destroy();
    this.#current = null;
  }
}
