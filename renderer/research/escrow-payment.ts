import { JsonRpcApiProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult, type Wallet } from 'ethers';
import { PhdTokenClient, PurchaseEscrowClient, type DepositRequest, type PurchaseState } from '../../shared/chain/escrow-contracts';
import { CHAIN_RPC_METHODS, type ChainAnswer, type ChainCall } from '../../shared/ipc/network-contract';
import type { Settlement } from '../../shared/network/network-map';

/**
 * The researcher's side of settlement (issue 15 item 2), in the mind: the node's identity key is
 * its account on the network's chain, and the body carries each JSON-RPC call to the chain's
 * endpoint (`network.chain`), so the key never leaves the mind and the mind never opens a socket.
 *
 * Paying is two transactions, each waited for at the network's confirmation depth: approve the
 * escrow for the price on the PHD token, then deposit under the purchase id with the keepers the
 * clinic named. A repeated pay after a completed deposit is refused by the contract
 * (PurchaseIdUsed), so paying twice is impossible; an approval left from an interrupted pay is
 * reused, not repeated.
 */

/** ethers over the body's `network.chain`: one call at a time, no batching, nothing cached. */
export class BodyChainProvider extends JsonRpcApiProvider {
  constructor(
    private readonly forward: (request: ChainCall) => Promise<ChainAnswer>,
    chainId: number,
  ) {
    super(Network.from(chainId), { staticNetwork: Network.from(chainId), batchMaxCount: 1, cacheTimeout: -1, polling: false });
  }

  async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    return Promise.all(
      list.map(async ({ id, method, params }): Promise<JsonRpcResult | JsonRpcError> => {
        if (!(CHAIN_RPC_METHODS as readonly string[]).includes(method)) return { id, error: { code: -32601, message: `${method} is not available to this node` } };
        const answer = await this.forward({ method: method as ChainCall['method'], params: Array.isArray(params) ? params : [] });
        return 'result' in answer ? { id, result: answer.result } : { id, error: answer.error };
      }),
    );
  }
}

export type PaymentState =
  /** The network names no chain: nothing to pay on. */
  | { readonly state: 'no-chain' }
  /** Nothing deposited under this purchase yet. */
  | { readonly state: 'unpaid' }
  /** Deposited; `confirmations` blocks deep of the `required`. */
  | {
      readonly state: 'deposited';
      readonly escrowState: PurchaseState;
      readonly amount: bigint;
      readonly confirmations: number;
      readonly required: number;
      /** Unix seconds: after it, with no keys released, the buyer may reclaim the deposit. */
      readonly deadline: number;
      /** Unix seconds: when the dispute window after the keys' release ends (anyone may settle then), or null while no keys were released. */
      readonly settleableAt: number | null;
      /** No keys released and the deadline passed, by the chain's clock: the buyer may take the deposit back. */
      readonly reclaimable: boolean;
    };

export class EscrowPayment {
  readonly provider: BodyChainProvider;

  constructor(
    readonly settlement: Settlement,
    call: (request: ChainCall) => Promise<ChainAnswer>,
  ) {
    this.provider = new BodyChainProvider(call, settlement.chainId);
  }

  private escrow(wallet?: Wallet): PurchaseEscrowClient {
    return new PurchaseEscrowClient(this.settlement.escrow, wallet ? wallet.connect(this.provider) : this.provider, { confirmations: this.settlement.confirmations });
  }

  private token(wallet?: Wallet): PhdTokenClient {
    return new PhdTokenClient(this.settlement.token, wallet ? wallet.connect(this.provider) : this.provider, { confirmations: this.settlement.confirmations });
  }

  /** The chain's time (the latest block's timestamp, Unix seconds): what the contract's deadlines are compared with. */
  async chainTime(): Promise<number> {
    const block = await this.provider.getBlock('latest');
    return block?.timestamp ?? Math.floor(Date.now() / 1000);
  }

  /** The account's PHD, in the token's smallest unit. */
  balance(account: string): Promise<bigint> {
    return this.token().balanceOf(account);
  }

  /** Where a deposit under `escrowId` (bytes32) stands. */
  async status(escrowId: string): Promise<PaymentState> {
    const escrow = this.escrow();
    const record = await escrow.getPurchase(escrowId);
    if (record.state === 'None') return { state: 'unpaid' };
    const filter = escrow.contract.filters.Deposited!(escrowId);
    const [events, head, window, now] = await Promise.all([escrow.contract.queryFilter(filter), this.provider.getBlockNumber(), record.keysReleasedAt === 0n ? Promise.resolve(0n) : escrow.disputeWindow(), this.chainTime()]);
    const block = events[0]?.blockNumber;
    return {
      state: 'deposited',
      escrowState: record.state,
      amount: record.amount,
      confirmations: block === undefined ? 0 : head - block + 1,
      required: this.settlement.confirmations,
      deadline: Number(record.deadline),
      settleableAt: record.keysReleasedAt === 0n ? null : Number(record.keysReleasedAt + window),
      reclaimable: record.state === 'Deposited' && now > Number(record.deadline),
    };
  }

  /** The clinic declares the keys released (the keepers hold them for the buyer): the dispute window starts. */
  async keysReleased(wallet: Wallet, escrowId: string): Promise<{ readonly block: number }> {
    const receipt = await this.escrow(wallet).keysReleased(escrowId);
    return { block: receipt.blockNumber };
  }

  /** The buyer takes the whole deposit back: no keys were released and the deadline has passed (the contract checks both). */
  async reclaim(wallet: Wallet, escrowId: string): Promise<{ readonly block: number }> {
    const receipt = await this.escrow(wallet).reclaim(escrowId);
    return { block: receipt.blockNumber };
  }

  /** Anyone pays the clinic and the keepers once the dispute window after the keys' release has passed. */
  async settleAfterWindow(wallet: Wallet, escrowId: string): Promise<{ readonly block: number }> {
    const receipt = await this.escrow(wallet).settleAfterWindow(escrowId);
    return { block: receipt.blockNumber };
  }

  /** The buyer acknowledges the delivery: the escrow pays the clinic and the keepers. */
  async acknowledge(wallet: Wallet, escrowId: string): Promise<{ readonly block: number }> {
    const receipt = await this.escrow(wallet).acknowledge(escrowId);
    return { block: receipt.blockNumber };
  }

  /** Approves the escrow for the price (unless an earlier approval covers it), then deposits. */
  async pay(wallet: Wallet, deposit: DepositRequest): Promise<{ readonly block: number; readonly txHash: string }> {
    const token = this.token(wallet);
    const allowance = (await (token.contract.getFunction('allowance') as unknown as (owner: string, spender: string) => Promise<bigint>)(wallet.address, this.settlement.escrow)) ?? 0n;
    if (allowance < deposit.amount) await token.approve(this.settlement.escrow, deposit.amount);
    const receipt = await this.escrow(wallet).deposit(deposit);
    return { block: receipt.blockNumber, txHash: receipt.hash.toLowerCase() };
  }
}
