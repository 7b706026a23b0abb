import { Contract, ContractFactory, type ContractRunner, type Signer, type TransactionReceipt } from 'ethers';
import { decodeContractError, send, type ChainOptions, type ContractArtifact } from './escrow-contracts';

/**
 * The notary log's checkpoints anchored on the settlement chain (issue 15 item 2; contracts/
 * CheckpointAnchor.sol): the server records (size, root) now and then, `log:verify` reads the
 * latest anchor and checks the log it replays has that root at that size.
 */
export const CHECKPOINT_ANCHOR_ABI = [
  'constructor(address initialOwner)',
  'function anchor(uint64 size, bytes32 rootHash)',
  'function latest() view returns ((uint64 size, bytes32 rootHash, uint64 anchoredAt))',
  'function owner() view returns (address)',
  'function renounceOwnership()',
  'function transferOwnership(address newOwner)',
  'event Anchored(uint64 indexed size, bytes32 rootHash, uint64 anchoredAt)',
  'event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)',
  'error SizeNotIncreasing(uint64 latest, uint64 given)',
  'error OwnableUnauthorizedAccount(address account)',
  'error OwnableInvalidOwner(address owner)',
] as const;

/** An anchored checkpoint; size 0 means nothing was anchored yet. */
export interface AnchoredCheckpoint {
  readonly size: number;
  /** 0x-prefixed 32-byte hex. */
  readonly rootHash: string;
  /** Unix seconds of the block that anchored it. */
  readonly anchoredAt: number;
}

type Method = (...args: unknown[]) => Promise<never>;

export class CheckpointAnchorClient {
  readonly contract: Contract;
  private readonly confirmations: number;

  constructor(readonly address: string, runner: ContractRunner, options: ChainOptions = {}) {
    this.contract = new Contract(address, CHECKPOINT_ANCHOR_ABI, runner);
    this.confirmations = options.confirmations ?? 1;
  }

  /**
   * Anchors the log's root at `size` leaves (the owner only; sizes must increase). The gas limit
   * has headroom over the estimate: the estimate is made at the pending block's timestamp, and when
   * that equals the previous anchor's, rewriting `anchoredAt` is priced as a no-op store; mined a
   * second later it costs 2,800 gas more and ran out (seen on ganache, anchors a second apart).
   */
  async anchor(size: number, rootHash: string): Promise<TransactionReceipt> {
    const fn = this.contract.getFunction('anchor');
    let gasLimit: bigint;
    try {
      gasLimit = ((await fn.estimateGas(size, rootHash)) * 5n) / 4n + 10_000n;
    } catch (error) {
      throw decodeContractError(error) ?? error;
    }
    return send((fn as unknown as Method)(size, rootHash, { gasLimit }), this.confirmations);
  }

  async latest(): Promise<AnchoredCheckpoint> {
    const value = (await (this.contract.getFunction('latest') as unknown as Method)()) as { size: bigint; rootHash: string; anchoredAt: bigint };
    return { size: Number(value.size), rootHash: value.rootHash, anchoredAt: Number(value.anchoredAt) };
  }
}

/** Deploys an anchor owned by `owner` (the deployer by default). */
export async function deployCheckpointAnchor(deployer: Signer, artifact: ContractArtifact, options: ChainOptions & { readonly owner?: string } = {}): Promise<CheckpointAnchorClient> {
  const confirmations = options.confirmations ?? 1;
  try {
    const contract = await new ContractFactory([...artifact.abi] as never, artifact.bytecode, deployer).deploy(options.owner ?? (await deployer.getAddress()));
    await contract.deploymentTransaction()?.wait(confirmations);
    return new CheckpointAnchorClient(await contract.getAddress(), deployer, { confirmations });
  } catch (error) {
    throw decodeContractError(error) ?? error;
  }
}
