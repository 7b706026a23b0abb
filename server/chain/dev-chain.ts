import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ganache from 'ganache';
import { getAddress, JsonRpcProvider, type Wallet } from 'ethers';
import { deployCheckpointAnchor } from '../../shared/chain/checkpoint-anchor';
import { deploySettlementContracts } from '../../shared/chain/escrow-contracts';
import type { Settlement } from '../../shared/network/network-map';
import { compileSettlementContracts } from './compile-contracts';

/**
 * The embedded settlement chain of a demo or test network (issue 15 item 2): ganache 7 (an EVM at
 * the Paris hardfork, instamine) served over JSON-RPC, its state kept in `<data-dir>/dev-chain`, with
 * the PHD token, the purchase escrow and the checkpoint anchor deployed once by the network key (the
 * one account the chain funds, so the operator mints PHD and anchors the log). Production networks
 * name a real chain instead (`--chain-rpc` and the contracts' addresses); this is never that.
 *
 * The addresses deployed are remembered in `dev-chain/contracts.json` and checked against the chain's
 * code at each start: a chain folder that lost its state is refused rather than silently redeployed,
 * since the network map already names the old addresses.
 */
export const DEV_CHAIN_DIR = 'dev-chain';
export const DEV_CHAIN_ID = 1337;
const CONTRACTS_FILE = 'contracts.json';
/** What the network key starts with on a new dev chain: enough gas for years of anchoring and faucet use. */
const OPERATOR_BALANCE = 10n ** 24n;

export interface DevChainOptions {
  readonly dataDir: string;
  readonly networkKey: Wallet;
  readonly host?: string;
  /** 0 picks a free port (the map then names it, and changes each start). */
  readonly port?: number;
  readonly confirmations?: number;
  /** Seconds after the keys' release during which only the buyer settles (the escrow's dispute window). */
  readonly disputeWindowSeconds?: number;
}

export interface DevChain {
  readonly url: string;
  readonly settlement: Settlement;
  /** A provider on the chain (cache off: see shared/chain/escrow-contracts.ts). */
  readonly provider: JsonRpcProvider;
  /** The network key as a signer on this chain. */
  readonly operator: Wallet;
  close(): Promise<void>;
}

interface DeployedAddresses {
  readonly token: string;
  readonly escrow: string;
  readonly anchor: string;
}

export class DevChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevChainError';
  }
}

export async function startDevChain(options: DevChainOptions): Promise<DevChain> {
  const dir = path.join(options.dataDir, DEV_CHAIN_DIR);
  mkdirSync(path.join(dir, 'db'), { recursive: true, mode: 0o700 });
  const server = ganache.server({
    logging: { quiet: true },
    chain: { chainId: DEV_CHAIN_ID, hardfork: 'merge' },
    database: { dbPath: path.join(dir, 'db') },
    wallet: { accounts: [{ secretKey: options.networkKey.privateKey, balance: `0x${OPERATOR_BALANCE.toString(16)}` }] },
  });
  const host = options.host ?? '127.0.0.1';
  await server.listen(options.port ?? 0, host);
  const port = (server as unknown as { address(): { port: number } }).address().port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const provider = new JsonRpcProvider(url, DEV_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  const operator = options.networkKey.connect(provider);
  const confirmations = options.confirmations ?? 1;
  const close = async (): Promise<void> => {
    provider.destroy();
    await server.close();
  };
  try {
    const addresses = await deployedAddresses(dir, provider, operator, options.disputeWindowSeconds ?? 3_600);
    return { url, provider, operator, close, settlement: { chainId: DEV_CHAIN_ID, rpcUrl: url, ...addresses, confirmations } };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

async function deployedAddresses(dir: string, provider: JsonRpcProvider, operator: Wallet, disputeWindowSeconds: number): Promise<DeployedAddresses> {
  const file = path.join(dir, CONTRACTS_FILE);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DeployedAddresses;
    for (const [name, address] of Object.entries(saved)) {
      if ((await provider.getCode(address)) === '0x') throw new DevChainError(`the dev chain in ${dir} has no ${name} contract at ${address} (its state was lost): remove ${file} only on a network that can be started over`);
    }
    return { token: getAddress(saved.token), escrow: getAddress(saved.escrow), anchor: getAddress(saved.anchor) };
  }
  const compiled = compileSettlementContracts();
  const { token, escrow } = await deploySettlementContracts(operator, compiled, { disputeWindowSeconds });
  const anchor = await deployCheckpointAnchor(operator, compiled.CheckpointAnchor);
  const addresses = { token: getAddress(token.address), escrow: getAddress(escrow.address), anchor: getAddress(anchor.address) };
  writeFileSync(file, `${JSON.stringify(addresses, null, 2)}\n`, { mode: 0o600 });
  return addresses;
}
