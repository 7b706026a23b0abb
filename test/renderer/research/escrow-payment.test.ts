import ganache, { type EthereumProvider } from 'ganache';
import { BrowserProvider, Wallet, type Eip1193Provider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSettlementContracts } from '../../../server/chain/compile-contracts';
import { EscrowError, deploySettlementContracts } from '../../../shared/chain/escrow-contracts';
import type { ChainAnswer, ChainCall } from '../../../shared/ipc/network-contract';
import type { Settlement } from '../../../shared/network/network-map';
import { purchaseIdInput } from '../../../shared/network/notary';
import { escrowDepositFor } from '../../../shared/research/purchase-settlement';
import type { PurchaseRequest } from '../../../shared/research/purchase-request';
import { EscrowPayment } from '../../../renderer/research/escrow-payment';

/**
 * The researcher pays into escrow from the mind: ethers over a provider whose every call goes
 * through `network.chain` (here straight to an in-process ganache, as the body would pass it on),
 * the identity key signing locally. Only allow-listed methods pass; reverts come back decoded.
 */
let chain: EthereumProvider;
let settlement: Settlement;
const calls: string[] = [];
const researcher = Wallet.createRandom();
const clinic = Wallet.createRandom().address;
const keepers = [Wallet.createRandom().address, Wallet.createRandom().address, Wallet.createRandom().address];

async function forward(call: ChainCall): Promise<ChainAnswer> {
  calls.push(call.method);
  try {
    return { result: await chain.request({ method: call.method, params: call.params } as never) };
  } catch (error) {
    const e = error as { code?: number; message: string; data?: unknown };
    return { error: { code: e.code ?? -32000, message: e.message.slice(0, 500), ...(e.data !== undefined ? { data: e.data } : {}) } };
  }
}

beforeAll(async () => {
  chain = ganache.provider({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'merge' }, wallet: { deterministic: true, totalAccounts: 1 } });
  const operator = await new BrowserProvider(chain as unknown as Eip1193Provider, undefined, { cacheTimeout: -1 }).getSigner(0);
  const { token, escrow } = await deploySettlementContracts(operator, compileSettlementContracts(), { disputeWindowSeconds: 3_600 });
  await (await operator.sendTransaction({ to: researcher.address, value: 10n ** 18n })).wait();
  await token.mint(researcher.address, 100n * 10n ** 18n);
  settlement = { chainId: 1337, rpcUrl: 'http://127.0.0.1:1', token: token.address, escrow: escrow.address, anchor: escrow.address, confirmations: 1 };
});

afterAll(async () => {
  await chain.disconnect();
});

describe('EscrowPayment', () => {
  it('approves and deposits once, reports the deposit, refuses a second deposit under the same purchase', async () => {
    const payment = new EscrowPayment(settlement, forward);
    const request = { purchaseId: `0x${'5e'.repeat(16)}`, clinic, total: '7.5', expiresAt: new Date(Date.now() + 86_400_000).toISOString() } as PurchaseRequest;
    const escrowId = purchaseIdInput(request.purchaseId);
    expect(await payment.status(escrowId)).toEqual({ state: 'unpaid' });
    const wallet = new Wallet(researcher.privateKey);
    await payment.pay(wallet, escrowDepositFor(request, keepers));
    const status = await payment.status(escrowId);
    expect(status).toMatchObject({ state: 'deposited', escrowState: 'Deposited', amount: 7_500_000_000_000_000_000n, confirmations: 1, required: 1 });
    expect(await payment.balance(researcher.address)).toBe(92_500_000_000_000_000_000n);
    const again = await payment.pay(wallet, escrowDepositFor(request, keepers)).then(() => null, (error: unknown) => error);
    expect(again).toBeInstanceOf(EscrowError);
    expect((again as EscrowError).errorName).toBe('PurchaseIdUsed');
    // Every call the mind made is one the body passes on; the key never left the mind.
    expect(calls).toContain('eth_sendRawTransaction');
    expect(calls.every((method) => method.startsWith('eth_'))).toBe(true);
    expect(calls).not.toContain('eth_sendTransaction');
  });

  it('reclaims a deposit whose deadline passed with no keys released (not before); settles after the dispute window once the clinic declared the keys released', async () => {
    const payment = new EscrowPayment(settlement, forward);
    const operator = await new BrowserProvider(chain as unknown as Eip1193Provider, undefined, { cacheTimeout: -1 }).getSigner(0);
    const clinicWallet = Wallet.createRandom();
    await (await operator.sendTransaction({ to: clinicWallet.address, value: 10n ** 17n })).wait();
    const wallet = new Wallet(researcher.privateKey);
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const unreleased = { purchaseId: `0x${'6a'.repeat(16)}`, clinic: clinicWallet.address, total: '1', expiresAt: inAnHour } as PurchaseRequest;
    const released = { purchaseId: `0x${'6b'.repeat(16)}`, clinic: clinicWallet.address, total: '1', expiresAt: inAnHour } as PurchaseRequest;
    await payment.pay(wallet, escrowDepositFor(unreleased, keepers));
    await payment.pay(wallet, escrowDepositFor(released, keepers));
    await payment.keysReleased(new Wallet(clinicWallet.privateKey), purchaseIdInput(released.purchaseId));
    expect(await payment.status(purchaseIdInput(unreleased.purchaseId))).toMatchObject({ escrowState: 'Deposited', reclaimable: false, settleableAt: null });
    const before = await payment.status(purchaseIdInput(released.purchaseId));
    expect(before).toMatchObject({ escrowState: 'KeysReleased', reclaimable: false, settleableAt: expect.any(Number) });
    const early = await payment.reclaim(wallet, purchaseIdInput(unreleased.purchaseId)).then(() => null, (error: unknown) => error);
    expect((early as EscrowError).errorName).toBe('DeadlineNotReached');

    // Two hours later by the chain's clock: past the deadline and the one-hour dispute window.
    await chain.request({ method: 'evm_increaseTime', params: [7_200] } as never);
    await chain.request({ method: 'evm_mine', params: [] } as never);
    expect(await payment.chainTime()).toBeGreaterThan(before.state === 'deposited' ? before.settleableAt! : 0);
    expect(await payment.status(purchaseIdInput(unreleased.purchaseId))).toMatchObject({ reclaimable: true });
    const balance = await payment.balance(researcher.address);
    await payment.reclaim(wallet, purchaseIdInput(unreleased.purchaseId));
    expect(await payment.status(purchaseIdInput(unreleased.purchaseId))).toMatchObject({ escrowState: 'Reclaimed', reclaimable: false });
    expect(await payment.balance(researcher.address)).toBe(balance + 10n ** 18n);
    // Keys released: not reclaimable; anyone settles after the window, and the clinic is paid.
    const refused = await payment.reclaim(wallet, purchaseIdInput(released.purchaseId)).then(() => null, (error: unknown) => error);
    expect((refused as EscrowError).errorName).toBe('KeysAlreadyReleased');
    await payment.settleAfterWindow(new Wallet(clinicWallet.privateKey), purchaseIdInput(released.purchaseId));
    expect(await payment.status(purchaseIdInput(released.purchaseId))).toMatchObject({ escrowState: 'Paid' });
    expect(await payment.balance(clinicWallet.address)).toBeGreaterThan(0n);
  });

  it('answers a method the body does not pass on with an error, without calling through', async () => {
    const payment = new EscrowPayment(settlement, forward);
    const before = calls.length;
    await expect(payment.provider.send('eth_accounts', [])).rejects.toThrow(/not available to this node/);
    expect(calls.length).toBe(before);
  });
});
