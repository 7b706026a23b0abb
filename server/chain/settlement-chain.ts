import { getAddress, JsonRpcProvider, NonceManager, type Wallet } from 'ethers';
import type { Settlement } from '../../shared/network/network-map';
import { startDevChain, type DevChain } from './dev-chain';

/**
 * The settlement chain a server runs with (issue 15 item 2), from its command line:
 *   --dev-chain [--dev-chain-port N]        an embedded ganache chain (server/chain/dev-chain.ts),
 *                                           for demos and tests;
 *   --chain-rpc URL --chain-token ADDRESS --chain-escrow ADDRESS --chain-anchor ADDRESS
 *                                           a real EVM chain where the contracts are deployed; its
 *                                           chain id is asked of the endpoint, and each address
 *                                           must hold code there.
 * Either way the network key is the operator's account on the chain (it anchors the log; on the dev
 * chain it also owns the token and funds members from the faucet), behind one nonce manager so the
 * anchoring and the faucet never race for a nonce.
 */
export type ChainChoice =
  | { readonly kind: 'dev'; readonly port: number; readonly confirmations: number }
  | { readonly kind: 'rpc'; readonly rpcUrl: string; readonly token: string; readonly escrow: string; readonly anchor: string; readonly confirmations: number };

export interface SettlementChain {
  readonly settlement: Settlement;
  /** The network key's account on the chain, nonces managed. */
  readonly operator: NonceManager;
  readonly provider: JsonRpcProvider;
  /** The embedded chain, when this is one (the faucet exists only there). */
  readonly dev: DevChain | null;
  close(): Promise<void>;
}

export class SettlementChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettlementChainError';
  }
}

export async function openSettlementChain(choice: ChainChoice, options: { readonly dataDir: string; readonly networkKey: Wallet; readonly host: string }): Promise<SettlementChain> {
  if (choice.kind === 'dev') {
    const dev = await startDevChain({ dataDir: options.dataDir, networkKey: options.networkKey, host: options.host, port: choice.port, confirmations: choice.confirmations });
    return { settlement: dev.settlement, operator: new NonceManager(dev.operator), provider: dev.provider, dev, close: () => dev.close() };
  }
  const probe = new JsonRpcProvider(choice.rpcUrl, undefined, { staticNetwork: false, cacheTimeout: -1 });
  let chainId: number;
  try {
    chainId = Number((await probe.getNetwork()).chainId);
  } catch (error) {
    throw new SettlementChainError(`the settlement chain at ${choice.rpcUrl} did not answer (${(error as Error).message.slice(0, 120)})`);
  } finally {
    probe.destroy();
  }
  const provider = new JsonRpcProvider(choice.rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
  try {
    for (const [name, address] of [['token', choice.token], ['escrow', choice.escrow], ['anchor', choice.anchor]] as const) {
      if ((await provider.getCode(address)) === '0x') throw new SettlementChainError(`no ${name} contract at ${address} on chain ${chainId}`);
    }
  } catch (error) {
    provider.destroy();
    throw error;
  }
  const settlement: Settlement = {
    chainId,
    rpcUrl: choice.rpcUrl,
    token: getAddress(choice.token),
    escrow: getAddress(choice.escrow),
    anchor: getAddress(choice.anchor),
    confirmations: choice.confirmations,
  };
  return { settlement, operator: new NonceManager(options.networkKey.connect(provider)), provider, dev: null, close: async () => provider.destroy() };
}
