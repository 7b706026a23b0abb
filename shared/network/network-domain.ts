import { sha256, toUtf8Bytes } from 'ethers';
import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';

/**
 * The network's EIP-712 domain and the small shapes every network document shares (design §10,
 * issue 10). Documents signed for one network never verify for another: the domain carries the
 * network's chain id (from the network map's parameters), and every document names the network key
 * it is meant for.
 *
 *   domain { name: "HDMS Network", version: "1", chainId }      (no verifyingContract)
 */
export const NETWORK_DOMAIN_NAME = 'HDMS Network';
export const NETWORK_DOMAIN_VERSION = '1';
/** The chain id of a network whose operator chose none (the conventional local development id). */
export const DEFAULT_NETWORK_CHAIN_ID = 31337;

export interface NetworkDomain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
}

export function networkDomain(chainId: number): NetworkDomain {
  return { name: NETWORK_DOMAIN_NAME, version: NETWORK_DOMAIN_VERSION, chainId };
}

/** What a node pins when it joins: the network key's address and the network's chain id. */
export interface PinnedNetwork {
  readonly address: string;
  readonly chainId: number;
}

/** The roles a member may hold, in their canonical order (a role list is sorted in this order). */
export const MEMBER_ROLES = ['clinic', 'research', 'keeper', 'witness'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export const uint64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const uint32 = z.number().int().min(0).max(0xffff_ffff);
export const ChainIdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One or more roles, each once, in the canonical order of MEMBER_ROLES (so a set has one spelling). */
export const RolesSchema = z
  .array(z.enum(MEMBER_ROLES))
  .min(1)
  .max(MEMBER_ROLES.length)
  .refine((roles) => roles.every((role, i) => i === 0 || MEMBER_ROLES.indexOf(role) > MEMBER_ROLES.indexOf(roles[i - 1]!)), 'must list each role once, in the order clinic, research, keeper, witness');

/** Sorts and de-duplicates roles into their canonical order. */
export function canonicalRoles(roles: Iterable<MemberRole>): MemberRole[] {
  const set = new Set(roles);
  return MEMBER_ROLES.filter((role) => set.has(role));
}

/** A name shown to people: 1–200 characters, no leading or trailing space, no control or format characters. */
export const DisplayNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{C}]+$/u, 'must not contain control or format characters')
  .refine((value) => value === value.trim(), 'must not start or end with white space');

/** MAJOR.MINOR.PATCH with an optional pre-release (semantic versioning, no build metadata). */
export const AppVersionSchema = z
  .string()
  .max(64)
  .regex(/^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(-[0-9A-Za-z.-]{1,40})?$/, 'must be a version MAJOR.MINOR.PATCH');

/** An uncompressed elliptic-curve point, 0x04 ‖ X ‖ Y (65 bytes), as lowercase hex. */
export const UncompressedPointSchema = z.string().regex(/^0x04[0-9a-f]{128}$/, 'must be 0x04 and 128 lowercase hex digits (an uncompressed point)');

/**
 * Compares two versions by semantic-versioning precedence (a pre-release sorts before its release).
 * Both must match AppVersionSchema.
 */
export function compareAppVersions(a: string, b: string): number {
  const split = (version: string): [number[], string | null] => {
    const dash = version.indexOf('-');
    const core = (dash < 0 ? version : version.slice(0, dash)).split('.').map(Number);
    return [core, dash < 0 ? null : version.slice(dash + 1)];
  };
  const [coreA, preA] = split(a);
  const [coreB, preB] = split(b);
  for (let i = 0; i < 3; i++) if (coreA[i] !== coreB[i]) return coreA[i]! < coreB[i]! ? -1 : 1;
  if (preA === preB) return 0;
  if (preA === null) return 1;
  if (preB === null) return -1;
  const partsA = preA.split('.');
  const partsB = preB.split('.');
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
    const x = partsA[i];
    const y = partsB[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : null;
    const ny = /^\d+$/.test(y) ? Number(y) : null;
    if (nx !== null && ny !== null) return nx < ny ? -1 : 1;
    if (nx !== null) return -1;
    if (ny !== null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The network's fingerprint, for an admin to compare out of band (read aloud, or against the
 * operator's web page) before trusting a network: SHA-256 over
 * `hdms-network-key-v1\n<chainId>\n<checksummed network address>`, its first 16 bytes as eight
 * groups of four upper-case hex digits ("3F2A 9C01 …"). It changes if either the key or the chain
 * id does.
 */
export function networkFingerprint(network: PinnedNetwork): string {
  const address = AddressSchema.parse(network.address);
  ChainIdSchema.parse(network.chainId);
  const digest = sha256(toUtf8Bytes(`hdms-network-key-v1\n${network.chainId}\n${address}`)).slice(2, 34).toUpperCase();
  return digest.match(/.{4}/g)!.join(' ');
}
