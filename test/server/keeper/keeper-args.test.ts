import { describe, expect, it } from 'vitest';
import { chainAccessFrom, JsonRpcEscrowViews } from '../../../server/keeper/escrow-view';
import { KeeperUsageError, parseKeeperArgs } from '../../../server/keeper/keeper-args';

/** The keeper's command line, and where it takes the settlement chain from (the map, or flags over it). */

const ESCROW = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const OTHER = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';

describe('keeper command line', () => {
  it('takes the data folder, the server and the optional flags', () => {
    expect(parseKeeperArgs(['--data-dir', 'k', '--server', 'https://net.example/x', '--name', 'Keeper AG', '--country', 'CH', '--escrow', ESCROW.toLowerCase(), '--confirmations', '3', '--chain-rpc', 'http://127.0.0.1:8545', '--poll-ms', '200'])).toEqual({
      dataDir: 'k',
      serverUrl: 'https://net.example',
      name: 'Keeper AG',
      country: 'CH',
      escrow: ESCROW,
      confirmations: 3,
      chainRpc: 'http://127.0.0.1:8545',
      pollMs: 200,
      logLevel: 'info',
    });
  });

  it('refuses what an operator gets wrong', () => {
    for (const argv of [
      ['--server', 'https://net.example'],
      ['--data-dir', 'k'],
      ['--data-dir', 'k', '--server', 'http://net.example'],
      ['--data-dir', 'k', '--server', 'not a url'],
      ['--data-dir', 'k', '--server', 'http://127.0.0.1:7400', '--escrow', '0x1234'],
      ['--data-dir', 'k', '--server', 'http://127.0.0.1:7400', '--confirmations', '-1'],
      ['--data-dir', 'k', '--server', 'http://127.0.0.1:7400', '--poll-ms', '5'],
      ['--data-dir', 'k', '--server', 'http://127.0.0.1:7400', '--log-level', 'loud'],
      ['--data-dir', 'k', '--server', 'http://127.0.0.1:7400', '--unknown'],
    ]) {
      expect(() => parseKeeperArgs(argv), argv.join(' ')).toThrow(KeeperUsageError);
    }
  });
});

describe('the settlement chain a keeper reads', () => {
  const settlement = { chainId: 1337, rpcUrl: 'http://chain.example:8545', token: OTHER, escrow: ESCROW, anchor: OTHER, confirmations: 6 };

  it('is the network map\'s settlement, each field overridden by its flag', () => {
    expect(chainAccessFrom({ settlement }, {})).toEqual({ rpcUrl: 'http://chain.example:8545', escrow: ESCROW, confirmations: 6 });
    expect(chainAccessFrom({ settlement }, { confirmations: 1, rpcUrl: 'http://127.0.0.1:8545' })).toEqual({ rpcUrl: 'http://127.0.0.1:8545', escrow: ESCROW, confirmations: 1 });
  });

  it('is none for a network without a chain unless the flags name one entirely', () => {
    expect(chainAccessFrom({}, {})).toBeNull();
    expect(chainAccessFrom({ settlement: { ...settlement, chainId: 0 } }, {})).toBeNull();
    expect(chainAccessFrom({ settlement: { ...settlement, rpcUrl: '' } }, { escrow: OTHER })).toBeNull();
    expect(chainAccessFrom({}, { rpcUrl: 'http://127.0.0.1:8545', escrow: OTHER, confirmations: 2 })).toEqual({ rpcUrl: 'http://127.0.0.1:8545', escrow: OTHER, confirmations: 2 });
  });

  it('is read through one provider while the map names the same chain, and a new one when it changes', () => {
    const views = new JsonRpcEscrowViews({});
    const local = { ...settlement, rpcUrl: 'http://127.0.0.1:9' };
    try {
      const first = views.viewFor({ settlement: local });
      expect(first?.confirmations).toBe(6);
      expect(views.viewFor({ settlement: { ...local } })).toBe(first);
      const changed = views.viewFor({ settlement: { ...local, confirmations: 2 } });
      expect(changed).not.toBe(first);
      expect(changed?.confirmations).toBe(2);
      expect(views.viewFor({})).toBeNull();
    } finally {
      views.close();
    }
  });
});
