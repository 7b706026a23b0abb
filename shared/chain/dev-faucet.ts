import { z } from 'zod';

/**
 * The dev chain's faucet (issue 15 item 2, demo and test networks only: a server started with
 * `--dev-chain`): `POST /v1/dev-chain/faucet`, a signed member request with an empty JSON body,
 * sends the member gas and demo PHD once. Answers `{ funded, gasWei, phd }` (amounts as decimal
 * strings in the smallest unit; `funded` false when the member was funded before). Absent (404) on
 * a network with a real chain, where tokens are bought, not given.
 */
export const DEV_FAUCET_ROUTE = '/v1/dev-chain/faucet';

/** What the faucet gives: gas for a few hundred transactions, and PHD for demo purchases. */
export const DEV_FAUCET_GAS_WEI = 10n ** 18n;
export const DEV_FAUCET_PHD = 10_000n * 10n ** 18n;

export const DevFaucetAnswerSchema = z.strictObject({
  funded: z.boolean(),
  gasWei: z.string().regex(/^\d{1,40}$/),
  phd: z.string().regex(/^\d{1,40}$/),
});
export type DevFaucetAnswer = z.infer<typeof DevFaucetAnswerSchema>;
