import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ganache, { type EthereumProvider } from 'ganache';
import { BrowserProvider, Interface, type Eip1193Provider, type JsonRpcSigner } from 'ethers';
import { compileSettlementContracts } from '../../../server/chain/compile-contracts';
import { CHECKPOINT_ANCHOR_ABI, CheckpointAnchorClient, deployCheckpointAnchor } from '../../../shared/chain/checkpoint-anchor';
import { EscrowError } from '../../../shared/chain/escrow-contracts';

// contracts/CheckpointAnchor.sol on an in-process ganache chain: only the owner anchors, sizes only grow.

let chain: EthereumProvider;
let owner: JsonRpcSigner, stranger: JsonRpcSigner;
let anchor: CheckpointAnchorClient;
const root = (byte: string): string => `0x${byte.repeat(32)}`;

beforeAll(async () => {
  chain = ganache.provider({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'merge' }, wallet: { deterministic: true, totalAccounts: 2 } });
  const provider = new BrowserProvider(chain as unknown as Eip1193Provider, undefined, { cacheTimeout: -1 });
  [owner, stranger] = await Promise.all([provider.getSigner(0), provider.getSigner(1)]);
  anchor = await deployCheckpointAnchor(owner, compileSettlementContracts().CheckpointAnchor);
});

afterAll(async () => {
  await chain.disconnect();
});

async function refusal(promise: Promise<unknown>): Promise<EscrowError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(EscrowError);
  return error as EscrowError;
}

describe('CheckpointAnchor', () => {
  it('matches the ABI the client is written against', () => {
    const ours = new Interface(CHECKPOINT_ANCHOR_ABI).fragments.map((f) => f.format('full'));
    const theirs = new Interface([...compileSettlementContracts().CheckpointAnchor.abi] as never).fragments.map((f) => f.format('full'));
    expect([...ours].sort()).toEqual([...theirs].sort());
  });

  it('reads size 0 before the first anchor, then the latest anchor with its block time', async () => {
    expect(await anchor.latest()).toEqual({ size: 0, rootHash: root('00'), anchoredAt: 0 });
    const receipt = await anchor.anchor(5, root('ab'));
    const block = await owner.provider.getBlock(receipt.blockNumber);
    expect(await anchor.latest()).toEqual({ size: 5, rootHash: root('ab'), anchoredAt: block!.timestamp });
    const logs = receipt.logs.map((log) => new Interface(CHECKPOINT_ANCHOR_ABI).parseLog(log)?.name);
    expect(logs).toEqual(['Anchored']);
  });

  it('refuses a size that does not grow, and anyone but the owner', async () => {
    await anchor.anchor(9, root('cd'));
    expect((await refusal(anchor.anchor(9, root('ef')))).errorName).toBe('SizeNotIncreasing');
    expect((await refusal(anchor.anchor(3, root('ef')))).errorName).toBe('SizeNotIncreasing');
    const foreign = new CheckpointAnchorClient(anchor.address, stranger);
    expect((await refusal(foreign.anchor(100, root('ef')))).errorName).toBe('OwnableUnauthorizedAccount');
    expect((await anchor.latest()).size).toBe(9);
  });
});
