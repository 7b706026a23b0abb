import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { purchaseIdInput } from '../../../shared/network/notary';
import { chooseKeepers, escrowDepositFor, KEEPER_FEE_BPS, phdTokenUnits, type KeeperCandidate } from '../../../shared/research/purchase-settlement';
import type { PurchaseRequest } from '../../../shared/research/purchase-request';

const address = (): string => Wallet.createRandom().address;
const keeper = (legalName: string, roles: string[] = ['keeper']): KeeperCandidate => ({ address: address(), legalName, roles });
const PURCHASE = `0x${'3c'.repeat(16)}`;

describe('chooseKeepers', () => {
  it('takes keeper members of different institutions, never the clinic or the buyer, the same set for the same purchase', () => {
    const clinic = keeper('Lakeside Clinic', ['clinic', 'keeper']);
    const buyer = keeper('North Research', ['research', 'keeper']);
    const members = [clinic, buyer, keeper('Keeper One'), keeper('Keeper Two'), keeper('keeper two '), keeper('Keeper Three'), keeper('Witness Only', ['witness'])];
    const chosen = chooseKeepers(members, PURCHASE, [clinic.address, buyer.address]);
    expect(chosen).toHaveLength(3);
    const names = chosen.map((a) => members.find((m) => m.address === a)!.legalName.trim().toLowerCase());
    expect(new Set(names)).toEqual(new Set(['keeper one', 'keeper two', 'keeper three']));
    expect(chooseKeepers([...members].reverse(), PURCHASE, [clinic.address, buyer.address])).toEqual(chosen);
  });

  it('names none when fewer than three institutions keep keys, and at most ten', () => {
    expect(chooseKeepers([keeper('A'), keeper('B'), keeper('B')], PURCHASE, [])).toEqual([]);
    const many = Array.from({ length: 14 }, (_, i) => keeper(`Keeper ${i}`));
    expect(chooseKeepers(many, PURCHASE, [])).toHaveLength(10);
    // Another purchase spreads over another order.
    expect(chooseKeepers(many, `0x${'4d'.repeat(16)}`, [])).not.toEqual(chooseKeepers(many, PURCHASE, []));
  });
});

describe('escrowDepositFor', () => {
  it('deposits the total in 18-decimal units under the padded purchase id, a fee per keeper, refundable at the request expiry', () => {
    const keepers = [address(), address(), address()];
    const request = { purchaseId: PURCHASE, clinic: address(), total: '12.5', expiresAt: '2027-01-02T03:04:05.000Z' } as PurchaseRequest;
    expect(escrowDepositFor(request, keepers)).toEqual({
      purchaseId: purchaseIdInput(PURCHASE),
      amount: 12_500_000_000_000_000_000n,
      clinic: request.clinic,
      keepers: keepers.map((a) => ({ address: a, bps: KEEPER_FEE_BPS })),
      deadline: BigInt(Date.parse(request.expiresAt) / 1000),
    });
    expect(phdTokenUnits('0.000001')).toBe(10n ** 12n);
    expect(() => escrowDepositFor(request, keepers.slice(0, 2))).toThrow(/3 keepers/);
  });
});
