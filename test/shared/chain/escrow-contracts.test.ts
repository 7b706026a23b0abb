import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ganache, { type EthereumProvider } from 'ganache';
import { BrowserProvider, Interface, id as keccakId, type Eip1193Provider, type JsonRpcSigner, type TransactionReceipt } from 'ethers';
import { compileSettlementContracts, type CompiledContracts } from '../../../server/chain/compile-contracts';
import {
  EscrowError,
  PHD_TOKEN_ABI,
  PURCHASE_ESCROW_ABI,
  deploySettlementContracts,
  type EscrowErrorName,
  type KeeperShare,
  type PhdTokenClient,
  type PurchaseEscrowClient,
} from '../../../shared/chain/escrow-contracts';

// The escrow's state transitions on a real EVM: an in-process ganache 7 chain at the Paris hardfork
// ('merge'), so bytecode with Shanghai's PUSH0 or later opcodes would not deploy.

const PHD = 10n ** 18n;
const DISPUTE_WINDOW = 3_600; // seconds
const DAY = 86_400;

let ganacheProvider: EthereumProvider;
let provider: BrowserProvider;
let compiled: CompiledContracts;
let deployer: JsonRpcSigner, buyer: JsonRpcSigner, clinic: JsonRpcSigner, keeperA: JsonRpcSigner, keeperB: JsonRpcSigner, stranger: JsonRpcSigner;
let token: PhdTokenClient;
let escrow: PurchaseEscrowClient;
let keepers: KeeperShare[];
const timings: Record<string, number> = {};

beforeAll(async () => {
  let t = performance.now();
  compiled = compileSettlementContracts();
  timings.compileMs = performance.now() - t;
  ganacheProvider = ganache.provider({
    logging: { quiet: true },
    chain: { chainId: 1337, hardfork: 'merge' },
    wallet: { deterministic: true, totalAccounts: 6 },
  });
  // cacheTimeout -1: ethers otherwise answers an identical request within 250 ms from its cache, so
  // a call repeated right after the state changed (a second acknowledge) would get the first answer.
  provider = new BrowserProvider(ganacheProvider as unknown as Eip1193Provider, undefined, { cacheTimeout: -1 });
  const signers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => provider.getSigner(i)));
  const signer = (i: number): JsonRpcSigner => {
    const found = signers[i];
    if (!found) throw new Error(`no account ${i} on the dev chain`);
    return found;
  };
  [deployer, buyer, clinic, keeperA, keeperB, stranger] = [0, 1, 2, 3, 4, 5].map(signer) as [JsonRpcSigner, JsonRpcSigner, JsonRpcSigner, JsonRpcSigner, JsonRpcSigner, JsonRpcSigner];
  t = performance.now();
  ({ token, escrow } = await deploySettlementContracts(deployer, compiled, { disputeWindowSeconds: DISPUTE_WINDOW }));
  timings.deployMs = performance.now() - t;
  await token.mint(buyer.address, 1_000n * PHD);
  keepers = [
    { address: keeperA.address, bps: 1_250 },
    { address: keeperB.address, bps: 750 },
  ];
});

afterAll(async () => {
  // Reported for the README's figures; not an assertion.
  process.stdout.write(`settlement contracts: compile ${Math.round(timings.compileMs ?? 0)} ms, deploy both ${Math.round(timings.deployMs ?? 0)} ms\n`);
  await ganacheProvider?.disconnect();
});

async function chainTime(): Promise<number> {
  const block = await provider.getBlock('latest');
  if (!block) throw new Error('no latest block');
  return block.timestamp;
}

async function advance(seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds]);
  await provider.send('evm_mine', []);
}

let purchases = 0;
/** A fresh purchase id per test: the tests share one chain and one escrow. */
function newPurchaseId(): string {
  purchases += 1;
  return keccakId(`purchase-${purchases}`);
}

async function buy(purchaseId: string, amount: bigint, deadlineIn = DAY): Promise<TransactionReceipt> {
  await token.connect(buyer).approve(escrow.address, amount);
  return escrow.connect(buyer).deposit({
    purchaseId,
    amount,
    clinic: clinic.address,
    keepers,
    deadline: BigInt((await chainTime()) + deadlineIn),
  });
}

async function balances(): Promise<Record<'buyer' | 'clinic' | 'keeperA' | 'keeperB' | 'escrow', bigint>> {
  const [b, c, a, k, e] = await Promise.all(
    [buyer.address, clinic.address, keeperA.address, keeperB.address, escrow.address].map((x) => token.balanceOf(x)),
  );
  return { buyer: b!, clinic: c!, keeperA: a!, keeperB: k!, escrow: e! };
}

function diff(after: Record<string, bigint>, before: Record<string, bigint>): Record<string, bigint> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - before[k]!]));
}

async function refused(call: Promise<unknown>, name: EscrowErrorName): Promise<EscrowError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${name}`).toBeInstanceOf(EscrowError);
  expect((error as EscrowError).errorName).toBe(name);
  return error as EscrowError;
}

function eventNames(receipt: TransactionReceipt): string[] {
  const iface = new Interface(PURCHASE_ESCROW_ABI);
  return receipt.logs
    .filter((log) => log.address === escrow.address)
    .map((log) => iface.parseLog(log)?.name ?? '?');
}

describe('compiled contracts', () => {
  it('match the ABI the wrapper is written against', () => {
    for (const [abi, artifact] of [
      [PURCHASE_ESCROW_ABI, compiled.PurchaseEscrow],
      [PHD_TOKEN_ABI, compiled.PhdToken],
    ] as const) {
      const ours = new Interface(abi).fragments.map((f) => f.format('full'));
      const theirs = new Interface([...artifact.abi] as never).fragments.map((f) => f.format('full'));
      // Everything the compiler emits is declared here (the wrapper adds the errors of the token
      // that the escrow's transfers bubble up, hence a superset for errors only).
      expect(ours).toEqual(expect.arrayContaining(theirs));
      expect(theirs).toEqual(expect.arrayContaining(ours.filter((f) => !f.startsWith('error '))));
    }
  });
});

describe('PurchaseEscrow on a dev chain', () => {
  it('locks the deposit and records the buyer, the clinic and the split fixed at deposit', async () => {
    const id = newPurchaseId();
    const before = await balances();
    const receipt = await buy(id, 100n * PHD);
    expect(diff(await balances(), before)).toMatchObject({ buyer: -100n * PHD, escrow: 100n * PHD, clinic: 0n });
    expect(eventNames(receipt)).toEqual(['Deposited']);
    const purchase = await escrow.getPurchase(id);
    expect(purchase).toMatchObject({ buyer: buyer.address, clinic: clinic.address, amount: 100n * PHD, state: 'Deposited', keysReleasedAt: 0n });
    expect(purchase.keepers).toEqual(keepers);
    expect((await escrow.getPurchase(newPurchaseId())).state).toBe('None');
  });

  it('pays the clinic and each keeper exactly by the split when the buyer acknowledges', async () => {
    const id = newPurchaseId();
    const amount = 1_000_003n; // not divisible: keepers round down, the clinic gets the remainder
    await buy(id, amount);
    const before = await balances();
    const receipt = await escrow.connect(buyer).acknowledge(id);
    expect(diff(await balances(), before)).toEqual({
      buyer: 0n,
      keeperA: 125_000n, // 12.5 %
      keeperB: 75_000n, // 7.5 %
      clinic: 800_003n,
      escrow: -amount,
    });
    expect(eventNames(receipt)).toEqual(['Settled', 'Payment', 'Payment', 'Payment']);
    expect((await escrow.getPurchase(id)).state).toBe('Paid');
  });

  it('lets anyone settle once the dispute window after the keys release has passed, not before', async () => {
    const id = newPurchaseId();
    await buy(id, 40n * PHD);
    await refused(escrow.connect(stranger).settleAfterWindow(id), 'KeysNotReleased');
    await escrow.connect(clinic).keysReleased(id);
    const releasedAt = (await escrow.getPurchase(id)).keysReleasedAt;
    expect(releasedAt).toBe(BigInt(await chainTime()));
    expect((await escrow.getPurchase(id)).state).toBe('KeysReleased');

    await advance(DISPUTE_WINDOW - 10);
    const early = await refused(escrow.connect(stranger).settleAfterWindow(id), 'DisputeWindowOpen');
    expect(early.args[1]).toBe(releasedAt + BigInt(DISPUTE_WINDOW));

    await advance(10);
    const before = await balances();
    await escrow.connect(stranger).settleAfterWindow(id);
    expect(diff(await balances(), before)).toEqual({ buyer: 0n, keeperA: 5n * PHD, keeperB: 3n * PHD, clinic: 32n * PHD, escrow: -40n * PHD });
    expect((await escrow.getPurchase(id)).state).toBe('Paid');
  });

  it('returns the whole deposit to the buyer after the deadline when no keys were released', async () => {
    const id = newPurchaseId();
    await buy(id, 7n * PHD, DAY);
    await refused(escrow.connect(buyer).reclaim(id), 'DeadlineNotReached');
    await refused(escrow.connect(stranger).reclaim(id), 'NotBuyer');
    await advance(DAY + 1);
    const before = await balances();
    const receipt = await escrow.connect(buyer).reclaim(id);
    expect(diff(await balances(), before)).toEqual({ buyer: 7n * PHD, keeperA: 0n, keeperB: 0n, clinic: 0n, escrow: -7n * PHD });
    expect(eventNames(receipt)).toEqual(['Reclaimed']);
    expect((await escrow.getPurchase(id)).state).toBe('Reclaimed');
    // Settled once: neither a second reclaim, a late release, nor an acknowledgement pays again.
    await refused(escrow.connect(buyer).reclaim(id), 'AlreadySettled');
    await refused(escrow.connect(clinic).keysReleased(id), 'AlreadySettled');
    await refused(escrow.connect(buyer).acknowledge(id), 'AlreadySettled');
  });

  describe('refuses', () => {
    it('a second settlement of the same purchase', async () => {
      const id = newPurchaseId();
      await buy(id, 10n * PHD);
      await escrow.connect(clinic).keysReleased(id);
      await escrow.connect(buyer).acknowledge(id);
      const before = await balances();
      await refused(escrow.connect(buyer).acknowledge(id), 'AlreadySettled');
      await advance(DISPUTE_WINDOW);
      await refused(escrow.connect(stranger).settleAfterWindow(id), 'AlreadySettled');
      await refused(escrow.connect(buyer).reclaim(id), 'AlreadySettled');
      expect(diff(await balances(), before)).toEqual({ buyer: 0n, keeperA: 0n, keeperB: 0n, clinic: 0n, escrow: 0n });
    });

    it('a reclaim once the keys were released, even after the deadline', async () => {
      const id = newPurchaseId();
      await buy(id, 10n * PHD, 2 * DISPUTE_WINDOW);
      await escrow.connect(clinic).keysReleased(id);
      await advance(2 * DISPUTE_WINDOW + 1);
      await refused(escrow.connect(buyer).reclaim(id), 'KeysAlreadyReleased');
      await escrow.connect(stranger).settleAfterWindow(id);
    });

    it('an acknowledgement by anyone but the buyer, and a release by anyone but the clinic', async () => {
      const id = newPurchaseId();
      await buy(id, 10n * PHD);
      const notBuyer = await refused(escrow.connect(clinic).acknowledge(id), 'NotBuyer');
      expect(notBuyer.args).toEqual([id, clinic.address]);
      await refused(escrow.connect(stranger).acknowledge(id), 'NotBuyer');
      await refused(escrow.connect(buyer).keysReleased(id), 'NotClinic');
      await escrow.connect(clinic).keysReleased(id);
      await refused(escrow.connect(clinic).keysReleased(id), 'KeysAlreadyReleased');
      expect((await escrow.getPurchase(id)).state).toBe('KeysReleased');
    });

    it('a deposit under a purchase id already used, settled or not', async () => {
      const id = newPurchaseId();
      await buy(id, 10n * PHD);
      await refused(buy(id, 10n * PHD), 'PurchaseIdUsed');
      await escrow.connect(buyer).acknowledge(id);
      await refused(buy(id, 10n * PHD), 'PurchaseIdUsed');
    });

    it('a release of the keys after the deadline, and calls on an unknown purchase', async () => {
      const id = newPurchaseId();
      await buy(id, 10n * PHD, 100);
      await advance(101);
      await refused(escrow.connect(clinic).keysReleased(id), 'DeadlinePassed');
      await escrow.connect(buyer).reclaim(id);
      await refused(escrow.connect(buyer).acknowledge(newPurchaseId()), 'UnknownPurchase');
    });

    it('malformed deposits: a split over 100 %, a past deadline, a zero price, no approval', async () => {
      const deadline = BigInt((await chainTime()) + DAY);
      const base = { purchaseId: newPurchaseId(), amount: PHD, clinic: clinic.address, keepers, deadline };
      await token.connect(buyer).approve(escrow.address, PHD);
      await refused(escrow.connect(buyer).deposit({ ...base, keepers: [{ address: keeperA.address, bps: 10_001 }] }), 'InvalidSplit');
      await refused(escrow.connect(buyer).deposit({ ...base, deadline: BigInt(await chainTime()) }), 'DeadlineNotInFuture');
      await refused(escrow.connect(buyer).deposit({ ...base, amount: 0n }), 'ZeroAmount');
      await refused(escrow.connect(buyer).deposit({ ...base, amount: 2n * PHD }), 'ERC20InsufficientAllowance');
      await escrow.connect(buyer).deposit(base);
    });

    it('minting by anyone but the token owner', async () => {
      await refused(token.connect(stranger).mint(stranger.address, PHD), 'OwnableUnauthorizedAccount');
    });
  });
});
