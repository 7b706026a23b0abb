import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ContractCompileError,
  EVM_VERSION,
  SOLC_VERSION,
  compileSettlementContracts,
  compileSources,
  resolveContractSource,
} from '../../../server/chain/compile-contracts';

describe('compileSettlementContracts', () => {
  it('compiles the three contracts with the pinned solc for Paris, once per process', () => {
    const compiled = compileSettlementContracts();
    expect(compiled.compilerVersion.startsWith(`${SOLC_VERSION}+commit.`)).toBe(true);
    expect(EVM_VERSION).toBe('paris');
    for (const artifact of [compiled.PhdToken, compiled.PurchaseEscrow, compiled.CheckpointAnchor]) {
      expect(artifact.bytecode).toMatch(/^0x(?:[0-9a-f]{2})+$/);
      expect(artifact.bytecode.length).toBeGreaterThan(2_000);
    }
    expect(compileSettlementContracts()).toBe(compiled);
  });

  it('resolves OpenZeppelin from node_modules and everything else inside contracts/, nothing outside', () => {
    const erc20 = resolveContractSource('@openzeppelin/contracts/token/ERC20/ERC20.sol');
    expect(erc20?.split(path.sep).join('/')).toMatch(/node_modules\/@openzeppelin\/contracts\/token\/ERC20\/ERC20\.sol$/);
    expect(resolveContractSource('PurchaseEscrow.sol')?.split(path.sep).join('/')).toMatch(/\/contracts\/PurchaseEscrow\.sol$/);
    expect(resolveContractSource('../package.json')).toBeUndefined();
    expect(resolveContractSource('/etc/passwd')).toBeUndefined();
    expect(resolveContractSource('@openzeppelin/contracts/../../../package.json')).toBeUndefined();
  });

  it('throws the compiler errors instead of returning an empty artifact', () => {
    expect(() => compileSources(['Missing.sol'])).toThrow(ContractCompileError);
    expect(() => compileSources(['../package.json'])).toThrow(/outside contracts/);
  });
});
