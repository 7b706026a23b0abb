import { verifyTypedData, type TypedDataField } from 'ethers';
import { z } from 'zod';
import { AddressSchema, LEDGER_DOMAIN_NAME, LEDGER_DOMAIN_VERSION, SignatureSchema, type LedgerDomain } from './ledger-schema';
import { LedgerDomainSchema } from './ledger-export-format';

/**
 * The signed "node info" document (`<data>/exports/node-info-<UTC>.json`): who this node is, for a
 * partner or the notary to pin its address. Signed as EIP-712 typed data under the same domain as
 * the ledger (name "HDMS Ledger", version "1", chainId), type
 *
 *   NodeInfo { address node; string intakePublicKey; string institutionName; string role;
 *              string appVersion; uint64 issuedAt; }
 *
 * EIP-712 rather than an EIP-191 personal message: the same `verifyTypedData` call checks it, the
 * fields are typed (no parsing of a signed string), and the domain's chainId ties it to the network.
 * `intakePublicKey` is the vault's P-256 intake public key (uncompressed point, base64url), what
 * bodies seal to; `issuedAt` is Unix milliseconds. The document:
 *
 *   {"format":"hdms-node-info","version":1,"domain":{…},"types":{"NodeInfo":[…]},
 *    "nodeInfo":{"node":"0x…",…},"signature":"0x…"}
 */

export const NODE_INFO_FORMAT = 'hdms-node-info';

export const NODE_INFO_TYPES: Readonly<Record<'NodeInfo', readonly TypedDataField[]>> = {
  NodeInfo: [
    { name: 'node', type: 'address' },
    { name: 'intakePublicKey', type: 'string' },
    { name: 'institutionName', type: 'string' },
    { name: 'role', type: 'string' },
    { name: 'appVersion', type: 'string' },
    { name: 'issuedAt', type: 'uint64' },
  ],
};

export function nodeInfoTypes(): Record<string, TypedDataField[]> {
  return { NodeInfo: NODE_INFO_TYPES.NodeInfo.map((field) => ({ ...field })) };
}

export const NodeInfoSchema = z.strictObject({
  node: AddressSchema,
  intakePublicKey: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/),
  institutionName: z.string().max(200),
  role: z.enum(['clinic', 'research']),
  appVersion: z.string().min(1).max(64),
  issuedAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type NodeInfo = Readonly<z.infer<typeof NodeInfoSchema>>;

export const NodeInfoDocumentSchema = z.strictObject({
  format: z.literal(NODE_INFO_FORMAT),
  version: z.literal(1),
  domain: LedgerDomainSchema,
  types: z
    .strictObject({ NodeInfo: z.array(z.strictObject({ name: z.string(), type: z.string() })) })
    .refine((types) => JSON.stringify(types.NodeInfo) === JSON.stringify(NODE_INFO_TYPES.NodeInfo), 'types are not the HDMS NodeInfo type'),
  nodeInfo: NodeInfoSchema,
  signature: SignatureSchema,
});
export type NodeInfoDocument = Readonly<z.infer<typeof NodeInfoDocumentSchema>>;

export function nodeInfoDocument(domain: LedgerDomain, nodeInfo: NodeInfo, signature: string): NodeInfoDocument {
  return {
    format: NODE_INFO_FORMAT,
    version: 1,
    domain: { name: LEDGER_DOMAIN_NAME, version: LEDGER_DOMAIN_VERSION, chainId: domain.chainId },
    types: { NodeInfo: NODE_INFO_TYPES.NodeInfo.map((field) => ({ name: field.name, type: field.type })) },
    nodeInfo,
    signature,
  };
}

/** Checks a node-info document: strict schema, then the signature recovers `nodeInfo.node`. */
export function verifyNodeInfo(value: unknown): { readonly ok: true; readonly node: string } | { readonly ok: false; readonly problem: string } {
  const parsed = NodeInfoDocumentSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `the node-info document: ${issue === undefined ? 'invalid' : `${issue.path.map(String).join('.') || 'document'} ${issue.message}`}` };
  }
  const { domain, nodeInfo, signature } = parsed.data;
  let signer: string;
  try {
    signer = verifyTypedData({ ...domain }, nodeInfoTypes(), { ...nodeInfo }, signature);
  } catch {
    return { ok: false, problem: 'the node-info signature does not verify at all' };
  }
  if (signer !== nodeInfo.node) return { ok: false, problem: `the node-info document is signed by ${signer}, not by the node it names (${nodeInfo.node})` };
  return { ok: true, node: nodeInfo.node };
}
