import { DEV_FAUCET_GAS_WEI, DEV_FAUCET_PHD, DEV_FAUCET_ROUTE, type DevFaucetAnswer } from '../../shared/chain/dev-faucet';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import type { RouteServices } from '../http/server-app';
import type { SettlementChain } from './settlement-chain';

/**
 * The dev chain's faucet (shared/chain/dev-faucet.ts): registered only for an embedded dev chain.
 * A member is funded once: the PHD balance is the record (a member holding PHD already is answered
 * `funded: false`), and requests are served one at a time so two racing requests of one member
 * cannot both pass that check.
 */
export function registerDevFaucet(services: RouteServices, chain: SettlementChain): void {
  const { app, authenticate, memberRateLimit } = services;
  const token = new PhdTokenClient(chain.settlement.token, chain.operator, { confirmations: chain.settlement.confirmations });
  let queue: Promise<unknown> = Promise.resolve();

  const fund = async (member: string): Promise<DevFaucetAnswer> => {
    if ((await token.balanceOf(member)) > 0n) return { funded: false, gasWei: '0', phd: '0' };
    const gas = await chain.operator.sendTransaction({ to: member, value: DEV_FAUCET_GAS_WEI });
    await gas.wait(chain.settlement.confirmations);
    await token.mint(member, DEV_FAUCET_PHD);
    return { funded: true, gasWei: DEV_FAUCET_GAS_WEI.toString(), phd: DEV_FAUCET_PHD.toString() };
  };

  app.post(DEV_FAUCET_ROUTE, { preHandler: [authenticate, memberRateLimit] }, async (request) => {
    const member = request.member!.address;
    const turn = queue.then(() => fund(member));
    queue = turn.catch(() => undefined);
    return turn;
  });
}
