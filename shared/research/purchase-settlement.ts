import { keccak256, solidityPacked } from 'ethers';
import type { DepositRequest } from '../chain/escrow-contracts';
import { purchaseIdInput } from '../network/notary';
import { MAX_KEEPERS, MIN_KEEPERS } from './package/key-split';
import { phdUnits, type PurchaseRequest } from './purchase-request';

/**
 * The settlement of an accepted purchase (issue 15 item 2): who holds the package key's shares and
 * what the buyer deposits in escrow.
 *
 * Keepers: the clinic names them in its acceptance, from its network map: members with the keeper
 * role, neither the clinic nor the buyer, one per institution (legal name), ordered by
 * keccak256(purchase id ‖ address) so purchases spread over the keepers, at most MAX_KEEPERS. Fewer
 * than MIN_KEEPERS such members: none, and the purchase cannot be delivered (the clinic says so).
 *
 * Deposit: the price in PHD's smallest unit (18 decimals; prices are in millionths), under the
 * purchase id as bytes32 (purchaseIdInput, as the notary and the keepers read it), payable to the
 * clinic with KEEPER_FEE_BPS of the price to each keeper, refundable after the purchase request's
 * expiry if no keys were released by then.
 */

/** Each keeper's fee, in basis points of the price (2 %). */
export const KEEPER_FEE_BPS = 200;
/** PHD has 18 decimals; prices are written in millionths. */
const UNITS_PER_MILLIONTH = 10n ** 12n;

export interface KeeperCandidate {
  readonly address: string;
  readonly legalName: string;
  readonly roles: readonly string[];
}

export function chooseKeepers(members: readonly KeeperCandidate[], purchaseId: string, exclude: readonly string[]): string[] {
  const excluded = new Set(exclude.map((address) => address.toLowerCase()));
  const ranked = members
    .filter((member) => member.roles.includes('keeper') && !excluded.has(member.address.toLowerCase()))
    .map((member) => ({ member, rank: keccak256(solidityPacked(['bytes16', 'address'], [purchaseId, member.address])) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  const institutions = new Set<string>();
  const chosen: string[] = [];
  for (const { member } of ranked) {
    const institution = member.legalName.trim().toLowerCase();
    if (institutions.has(institution)) continue;
    institutions.add(institution);
    chosen.push(member.address);
    if (chosen.length === MAX_KEEPERS) break;
  }
  return chosen.length >= MIN_KEEPERS ? chosen : [];
}

/** PHD amounts ("12.5") in the token's smallest unit. */
export function phdTokenUnits(amount: string): bigint {
  return phdUnits(amount) * UNITS_PER_MILLIONTH;
}

/** What the buyer deposits for an accepted purchase with these keepers. */
export function escrowDepositFor(request: PurchaseRequest, keepers: readonly string[]): DepositRequest {
  if (keepers.length < MIN_KEEPERS) throw new RangeError(`A purchase needs ${MIN_KEEPERS} keepers at different institutions to be delivered.`);
  return {
    purchaseId: purchaseIdInput(request.purchaseId),
    amount: phdTokenUnits(request.total),
    clinic: request.clinic,
    keepers: keepers.map((address) => ({ address, bps: KEEPER_FEE_BPS })),
    deadline: BigInt(Math.floor(Date.parse(request.expiresAt) / 1000)),
  };
}
