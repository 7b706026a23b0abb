import {
  Contract,
  ContractFactory,
  Interface,
  isHexString,
  type ContractRunner,
  type ContractTransactionResponse,
  type Signer,
  type TransactionReceipt,
} from 'ethers';

/**
 * A thin typed wrapper over the settlement contracts of contracts/ (issue 15, item 2): the PHD token
 * and the purchase escrow. Isomorphic: it only needs an ethers runner (a signer on any EVM JSON-RPC
 * endpoint, or an in-process dev chain). The ABI is written here, so nodes need no compiler; a test
 * checks it against what solc produces from the sources.
 *
 * Give the provider `{ cacheTimeout: -1 }`: ethers answers an identical request made within 250 ms
 * from its cache, so a call repeated right after the state changed would get the stale answer.
 */

/** What a deployer needs of a compiled contract. */
export interface ContractArtifact {
  readonly abi: readonly unknown[];
  /** 0x-prefixed creation bytecode. */
  readonly bytecode: string;
}

/** The custom errors the escrow, the token and the checkpoint anchor can revert with (OpenZeppelin's included). */
const ERROR_FRAGMENTS = [
  'error PurchaseIdUsed(bytes32 purchaseId)',
  'error UnknownPurchase(bytes32 purchaseId)',
  'error ZeroAmount()',
  'error ZeroAddress()',
  'error InvalidSplit()',
  'error DeadlineNotInFuture(uint64 deadline)',
  'error NotBuyer(bytes32 purchaseId, address caller)',
  'error NotClinic(bytes32 purchaseId, address caller)',
  'error AlreadySettled(bytes32 purchaseId)',
  'error KeysAlreadyReleased(bytes32 purchaseId)',
  'error KeysNotReleased(bytes32 purchaseId)',
  'error DeadlinePassed(bytes32 purchaseId, uint64 deadline)',
  'error DeadlineNotReached(bytes32 purchaseId, uint64 deadline)',
  'error DisputeWindowOpen(bytes32 purchaseId, uint64 endsAt)',
  'error SizeNotIncreasing(uint64 latest, uint64 given)',
  'error SafeERC20FailedOperation(address token)',
  'error ReentrancyGuardReentrantCall()',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error ERC20InvalidSender(address sender)',
  'error ERC20InvalidReceiver(address receiver)',
  'error ERC20InvalidApprover(address approver)',
  'error ERC20InvalidSpender(address spender)',
  'error OwnableUnauthorizedAccount(address account)',
  'error OwnableInvalidOwner(address owner)',
] as const;

export const PHD_TOKEN_ABI = [
  'constructor(address initialOwner)',
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address account) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function approve(address spender, uint256 value) returns (bool)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function transferFrom(address from, address to, uint256 value) returns (bool)',
  'function mint(address to, uint256 amount)',
  'function owner() view returns (address)',
  'function renounceOwnership()',
  'function transferOwnership(address newOwner)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
  'event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)',
  ...ERROR_FRAGMENTS.filter((f) => f.startsWith('error ERC20') || f.startsWith('error Ownable')),
] as const;

export const PURCHASE_ESCROW_ABI = [
  'constructor(address token_, uint64 disputeWindow_)',
  'function TOTAL_BPS() view returns (uint16)',
  'function token() view returns (address)',
  'function disputeWindow() view returns (uint64)',
  'function deposit(bytes32 purchaseId, uint256 amount, address clinic, address[] keepers, uint16[] keeperBps, uint64 deadline)',
  'function keysReleased(bytes32 purchaseId)',
  'function acknowledge(bytes32 purchaseId)',
  'function settleAfterWindow(bytes32 purchaseId)',
  'function reclaim(bytes32 purchaseId)',
  'function getPurchase(bytes32 purchaseId) view returns ((address buyer, address clinic, uint256 amount, uint64 deadline, uint64 keysReleasedAt, uint8 state, address[] keepers, uint16[] keeperBps))',
  'event Deposited(bytes32 indexed purchaseId, address indexed buyer, address indexed clinic, uint256 amount, uint64 deadline, address[] keepers, uint16[] keeperBps)',
  'event KeysReleased(bytes32 indexed purchaseId, uint64 at)',
  'event Payment(bytes32 indexed purchaseId, address indexed payee, uint256 amount)',
  'event Settled(bytes32 indexed purchaseId, bool byAcknowledgement)',
  'event Reclaimed(bytes32 indexed purchaseId, address indexed buyer, uint256 amount)',
  ...ERROR_FRAGMENTS.filter((f) => !f.startsWith('error SizeNotIncreasing')),
] as const;

const ERRORS = new Interface([...ERROR_FRAGMENTS]);

/** The purchase states of the contract, in its enum's order. */
export const PURCHASE_STATES = ['None', 'Deposited', 'KeysReleased', 'Paid', 'Reclaimed'] as const;
export type PurchaseState = (typeof PURCHASE_STATES)[number];

export type EscrowErrorName = (typeof ERROR_FRAGMENTS)[number] extends `error ${infer N}(${string}` ? N : never;

/** A call the contracts refused, with the custom error they reverted with, decoded. */
export class EscrowError extends Error {
  constructor(
    readonly errorName: EscrowErrorName,
    readonly args: readonly unknown[],
    options?: { cause?: unknown },
  ) {
    super(`${errorName}(${args.map(String).join(', ')})`, options);
    this.name = 'EscrowError';
  }
}

const SENT_KEYS = new Set(['transaction', 'payload', 'params', 'invocation', 'request']);

/** Finds revert data anywhere in what ethers (or the node behind it) threw, and decodes it. */
export function decodeContractError(error: unknown): EscrowError | undefined {
  const seen = new Set<unknown>();
  const candidates: string[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth > 6 || value === null || seen.has(value)) return;
    if (typeof value === 'string') {
      if (isHexString(value) && value.length >= 10) candidates.push(value);
      return;
    }
    if (typeof value !== 'object') return;
    seen.add(value);
    for (const key of Object.keys(value)) {
      // What was sent (calldata of the transaction or the RPC request) is not what came back.
      if (SENT_KEYS.has(key)) continue;
      walk((value as Record<string, unknown>)[key], depth + 1);
    }
  };
  walk(error, 0);
  for (const data of candidates) {
    try {
      const parsed = ERRORS.parseError(data);
      if (parsed) return new EscrowError(parsed.name as EscrowErrorName, [...parsed.args], { cause: error });
    } catch {
      // not one of ours: try the next candidate
    }
  }
  return undefined;
}

/** Waits for a sent transaction's receipt at `confirmations`; a revert becomes an EscrowError naming the contract's error. */
export async function send(tx: Promise<ContractTransactionResponse>, confirmations: number): Promise<TransactionReceipt> {
  try {
    const receipt = await (await tx).wait(confirmations);
    if (!receipt) throw new Error('transaction dropped');
    return receipt;
  } catch (error) {
    throw decodeContractError(error) ?? error;
  }
}

/** A key keeper and its share of the price, in basis points (1/100 of a percent). */
export interface KeeperShare {
  readonly address: string;
  readonly bps: number;
}

export interface DepositRequest {
  /** 32 bytes, 0x-prefixed: the purchase's id. */
  readonly purchaseId: string;
  /** The price, in the token's smallest unit. */
  readonly amount: bigint;
  readonly clinic: string;
  readonly keepers: readonly KeeperShare[];
  /** Unix seconds (chain time) by which the keys must be released. */
  readonly deadline: bigint;
}

export interface PurchaseRecord {
  readonly buyer: string;
  readonly clinic: string;
  readonly amount: bigint;
  readonly deadline: bigint;
  /** 0n while the keys were not released. */
  readonly keysReleasedAt: bigint;
  readonly state: PurchaseState;
  readonly keepers: readonly KeeperShare[];
}

/** Every call waits for this many confirmations (the network's confirmation depth) unless told otherwise. */
export interface ChainOptions {
  readonly confirmations?: number;
}

type Method = (...args: unknown[]) => Promise<ContractTransactionResponse>;
type View = (...args: unknown[]) => Promise<unknown>;

/** The PHD token at a known address. */
export class PhdTokenClient {
  readonly contract: Contract;
  private readonly confirmations: number;

  constructor(readonly address: string, runner: ContractRunner, options: ChainOptions = {}) {
    this.contract = new Contract(address, PHD_TOKEN_ABI, runner);
    this.confirmations = options.confirmations ?? 1;
  }

  connect(runner: ContractRunner): PhdTokenClient {
    return new PhdTokenClient(this.address, runner, { confirmations: this.confirmations });
  }

  private method(name: string): Method {
    return this.contract.getFunction(name) as unknown as Method;
  }

  async balanceOf(account: string): Promise<bigint> {
    return (await (this.contract.getFunction('balanceOf') as unknown as View)(account)) as bigint;
  }

  mint(to: string, amount: bigint): Promise<TransactionReceipt> {
    return send(this.method('mint')(to, amount), this.confirmations);
  }

  approve(spender: string, amount: bigint): Promise<TransactionReceipt> {
    return send(this.method('approve')(spender, amount), this.confirmations);
  }

  transfer(to: string, amount: bigint): Promise<TransactionReceipt> {
    return send(this.method('transfer')(to, amount), this.confirmations);
  }
}

/** The purchase escrow at a known address; each call is made by the runner's account. */
export class PurchaseEscrowClient {
  readonly contract: Contract;
  private readonly confirmations: number;

  constructor(readonly address: string, runner: ContractRunner, options: ChainOptions = {}) {
    this.contract = new Contract(address, PURCHASE_ESCROW_ABI, runner);
    this.confirmations = options.confirmations ?? 1;
  }

  connect(runner: ContractRunner): PurchaseEscrowClient {
    return new PurchaseEscrowClient(this.address, runner, { confirmations: this.confirmations });
  }

  private method(name: string): Method {
    return this.contract.getFunction(name) as unknown as Method;
  }

  /** Locks the price; the caller must have approved the escrow for `amount` on the token first. */
  deposit(request: DepositRequest): Promise<TransactionReceipt> {
    return send(
      this.method('deposit')(
        request.purchaseId,
        request.amount,
        request.clinic,
        request.keepers.map((k) => k.address),
        request.keepers.map((k) => k.bps),
        request.deadline,
      ),
      this.confirmations,
    );
  }

  /** The clinic declares the keys released; the dispute window starts. */
  keysReleased(purchaseId: string): Promise<TransactionReceipt> {
    return send(this.method('keysReleased')(purchaseId), this.confirmations);
  }

  /** The buyer acknowledges delivery: the clinic and the keepers are paid. */
  acknowledge(purchaseId: string): Promise<TransactionReceipt> {
    return send(this.method('acknowledge')(purchaseId), this.confirmations);
  }

  /** Anyone pays the clinic and the keepers once the dispute window after the keys' release has passed. */
  settleAfterWindow(purchaseId: string): Promise<TransactionReceipt> {
    return send(this.method('settleAfterWindow')(purchaseId), this.confirmations);
  }

  /** The buyer takes the deposit back: no keys released, deadline passed. */
  reclaim(purchaseId: string): Promise<TransactionReceipt> {
    return send(this.method('reclaim')(purchaseId), this.confirmations);
  }

  async disputeWindow(): Promise<bigint> {
    return (await (this.contract.getFunction('disputeWindow') as unknown as View)()) as bigint;
  }

  async getPurchase(purchaseId: string): Promise<PurchaseRecord> {
    const p = (await (this.contract.getFunction('getPurchase') as unknown as View)(purchaseId)) as {
      buyer: string;
      clinic: string;
      amount: bigint;
      deadline: bigint;
      keysReleasedAt: bigint;
      state: bigint;
      keepers: string[];
      keeperBps: bigint[];
    };
    const state = PURCHASE_STATES[Number(p.state)];
    if (state === undefined) throw new Error(`unknown purchase state ${p.state}`);
    return {
      buyer: p.buyer,
      clinic: p.clinic,
      amount: p.amount,
      deadline: p.deadline,
      keysReleasedAt: p.keysReleasedAt,
      state,
      keepers: p.keepers.map((address, i) => ({ address, bps: Number(p.keeperBps[i]) })),
    };
  }
}

export interface DeployOptions extends ChainOptions {
  /** Seconds between the keys' release and settlement without the buyer. */
  readonly disputeWindowSeconds: number;
  /** Who may mint PHD; the deployer by default. */
  readonly tokenOwner?: string;
}

/** Deploys a PHD token and an escrow over it from the deployer's account. */
export async function deploySettlementContracts(
  deployer: Signer,
  artifacts: { readonly PhdToken: ContractArtifact; readonly PurchaseEscrow: ContractArtifact },
  options: DeployOptions,
): Promise<{ token: PhdTokenClient; escrow: PurchaseEscrowClient }> {
  const confirmations = options.confirmations ?? 1;
  const deploy = async (artifact: ContractArtifact, args: unknown[]): Promise<string> => {
    try {
      const contract = await new ContractFactory([...artifact.abi] as never, artifact.bytecode, deployer).deploy(...args);
      await contract.deploymentTransaction()?.wait(confirmations);
      return await contract.getAddress();
    } catch (error) {
      throw decodeContractError(error) ?? error;
    }
  };
  const owner = options.tokenOwner ?? (await deployer.getAddress());
  const tokenAddress = await deploy(artifacts.PhdToken, [owner]);
  const escrowAddress = await deploy(artifacts.PurchaseEscrow, [tokenAddress, options.disputeWindowSeconds]);
  return {
    token: new PhdTokenClient(tokenAddress, deployer, { confirmations }),
    escrow: new PurchaseEscrowClient(escrowAddress, deployer, { confirmations }),
  };
}
