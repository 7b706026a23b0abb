import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import { type ContractArtifact } from '../../shared/chain/escrow-contracts';

/**
 * Compiles the settlement contracts of contracts/ (PhdToken, PurchaseEscrow, CheckpointAnchor) with the npm `solc`
 * compiler, in process, with no network: `@openzeppelin/contracts/...` imports are read from
 * node_modules, every other import from contracts/ itself.
 *
 * Compiled on demand (about half a second, once per process thanks to the cache) rather than at build
 * time: only whoever deploys (the dev chain of the demo and the tests) needs bytecode, nodes talk to
 * deployed contracts through the ABI in shared/chain, so no generated artifact has to be kept in step.
 */

/** The compiler pinned in package.json; the tests check the one loaded is this one. */
export const SOLC_VERSION = '0.8.37';
/** ganache 7 predates Shanghai (no PUSH0): bytecode for it must target Paris. */
export const EVM_VERSION = 'paris';

const CONTRACTS_DIR = fileURLToPath(new URL('../../contracts/', import.meta.url));
const OPENZEPPELIN_PREFIX = '@openzeppelin/contracts/';
const requireFromHere = createRequire(import.meta.url);

export interface CompiledContracts {
  readonly PhdToken: ContractArtifact;
  readonly PurchaseEscrow: ContractArtifact;
  readonly CheckpointAnchor: ContractArtifact;
  /** The full version string of the compiler that produced them. */
  readonly compilerVersion: string;
}

/** A compilation error from solc (warnings do not throw), with every message it gave. */
export class ContractCompileError extends Error {
  constructor(readonly messages: readonly string[]) {
    super(`solc failed:\n${messages.join('\n')}`);
    this.name = 'ContractCompileError';
  }
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/** Where a source named in an import lives on disk, or undefined for anything outside the two roots. */
export function resolveContractSource(importPath: string): string | undefined {
  if (importPath.startsWith(OPENZEPPELIN_PREFIX)) {
    const root = path.dirname(requireFromHere.resolve('@openzeppelin/contracts/package.json'));
    return within(root, importPath.slice(OPENZEPPELIN_PREFIX.length));
  }
  return within(CONTRACTS_DIR, importPath);
}

function within(root: string, relative: string): string | undefined {
  const full = path.resolve(root, relative);
  return full.startsWith(root.endsWith(path.sep) ? root : root + path.sep) ? full : undefined;
}

function findImport(importPath: string): { contents: string } | { error: string } {
  const file = resolveContractSource(importPath);
  if (file === undefined) return { error: `import outside contracts/ and @openzeppelin/contracts: ${importPath}` };
  try {
    return { contents: readFileSync(file, 'utf8') };
  } catch (error) {
    return { error: `cannot read ${importPath}: ${(error as Error).message}` };
  }
}

/** Compiles the named sources of contracts/ (both contracts by default); throws ContractCompileError. */
export function compileSources(files: readonly string[]): SolcOutput['contracts'] & object {
  const sources: Record<string, { content: string }> = {};
  for (const file of files) {
    const found = findImport(file);
    if ('error' in found) throw new ContractCompileError([found.error]);
    sources[file] = { content: found.contents };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }) as string) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error').map((e) => e.formattedMessage);
  if (errors.length > 0) throw new ContractCompileError(errors);
  return output.contracts ?? {};
}

let cached: CompiledContracts | undefined;

/** PhdToken, PurchaseEscrow and CheckpointAnchor, compiled once per process. */
export function compileSettlementContracts(): CompiledContracts {
  if (cached) return cached;
  const contracts = compileSources(['PhdToken.sol', 'PurchaseEscrow.sol', 'CheckpointAnchor.sol']);
  const artifact = (file: string, name: string): ContractArtifact => {
    const compiled = contracts[file]?.[name];
    if (!compiled) throw new ContractCompileError([`${file} produced no contract ${name}`]);
    return { abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}` };
  };
  cached = {
    PhdToken: artifact('PhdToken.sol', 'PhdToken'),
    PurchaseEscrow: artifact('PurchaseEscrow.sol', 'PurchaseEscrow'),
    CheckpointAnchor: artifact('CheckpointAnchor.sol', 'CheckpointAnchor'),
    compilerVersion: solc.version() as string,
  };
  return cached;
}
