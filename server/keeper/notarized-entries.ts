import { EntryHasher, ledgerDomain } from '../../shared/ledger/ledger-schema';
import type { NetworkMap } from '../../shared/network/network-map';
import { checkNotarized, endorsedWitnessKeys, leafData, NotarySignedEntrySchema, verifyEntrySignature, type NotarySignedEntry } from '../../shared/network/notary';
import { fromHex, toBase64 } from '../../shared/transparency/bytes';
import { leafHash } from '../../shared/transparency/hash';
import { openCheckpoint } from '../../shared/transparency/log-verifier';
import { parseVkey } from '../../shared/transparency/note';
import type { KeeperClient } from './keeper-client';

/**
 * "Notarized" as a keeper requires it before releasing (issue 15 item 6): the entry is in the
 * network's log under a checkpoint signed by the log key of the verified map and cosigned by the
 * map's witness quorum (endorsed keys of current witness members, as nodes count them:
 * electron/network/witness-round.ts); the receipt is signed by the log key and names the entry; the
 * inclusion proof at that checkpoint's size leads to its root (shared/network/notary.ts
 * checkNotarized). The entry itself is signed by its node with the identity key of its certificate
 * in the map. Every check is the shared verifiers'; this only fetches what they need.
 */

export interface WitnessedCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly logPublicKey: Uint8Array;
}

export type Proven<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

const hasher = new EntryHasher(ledgerDomain());

/** The newest checkpoint (or the one of tree size `size`), if signed by the log key and witnessed by the quorum. */
export async function witnessedCheckpoint(client: KeeperClient, map: NetworkMap, size?: number): Promise<Proven<WitnessedCheckpoint>> {
  const logKey = map.parameters.keys.log ?? '';
  if (logKey === '') return { ok: false, problem: 'The network has no log key.' };
  const note = await client.checkpoint(size);
  if (note === null) return { ok: false, problem: 'The log has no such checkpoint.' };
  const witnessMembers = new Set(map.members.filter((member) => member.certificate.roles.includes('witness')).map((member) => member.certificate.member));
  const keys = endorsedWitnessKeys(map.parameters.keys.network, await client.witnesses(), witnessMembers);
  const quorum = map.parameters.witnessQuorum;
  try {
    const opened = openCheckpoint(note, { logKey, witnesses: keys, quorum: Math.min(quorum, keys.length) });
    if (size !== undefined && opened.checkpoint.size !== size) return { ok: false, problem: 'The log answered a checkpoint of another size.' };
    if (opened.cosignatures.length < quorum) return { ok: false, problem: `The checkpoint carries ${opened.cosignatures.length} of the ${quorum} witness cosignatures the network requires.` };
    return { ok: true, value: { size: opened.checkpoint.size, root: opened.checkpoint.rootHash, logPublicKey: parseVkey(logKey).publicKey } };
  } catch {
    return { ok: false, problem: 'The checkpoint is not signed by the network’s log key, or carries a cosignature that does not verify.' };
  }
}

/** `node`'s entry `seq`, signed by that member, with a receipt and an inclusion proof that check against `checkpoint`. */
export async function provenEntry(client: KeeperClient, map: NetworkMap, checkpoint: WitnessedCheckpoint, node: string, seq: number): Promise<Proven<NotarySignedEntry>> {
  const member = map.members.find((m) => m.certificate.member === node);
  if (member === undefined) return { ok: false, problem: 'The entry’s node is not a current member.' };
  const found = await client.notarizedEntry(node, seq);
  if (found === null) return { ok: false, problem: `The log holds no entry ${seq} of that node.` };
  let signed: NotarySignedEntry;
  try {
    const parsed = NotarySignedEntrySchema.safeParse(JSON.parse(found.line));
    if (!parsed.success) return { ok: false, problem: 'The log’s entry is malformed.' };
    signed = parsed.data;
  } catch {
    return { ok: false, problem: 'The log’s entry is malformed.' };
  }
  if (signed.entry.node !== node || signed.entry.seq !== seq) return { ok: false, problem: 'The log answered another entry.' };
  const digest = hasher.hash(signed.entry);
  if (!verifyEntrySignature(digest, signed.signature, fromHex(member.certificate.identityKey))) return { ok: false, problem: 'The entry is not signed by its node.' };
  const receipt = found.notarized.receipt;
  if (receipt.leafIndex >= checkpoint.size) return { ok: false, problem: 'The entry is not yet under the witnessed checkpoint.' };
  const proof = await client.inclusionProof(toBase64(leafHash(leafData(signed))), checkpoint.size);
  if (proof === null || proof.leafIndex !== receipt.leafIndex) return { ok: false, problem: 'The log gave no inclusion proof of the entry at the checkpoint.' };
  const check = checkNotarized({ status: 'notarized', receipt, treeSize: checkpoint.size, inclusion: proof.proof }, signed, digest, checkpoint.logPublicKey, checkpoint.root);
  return check.ok ? { ok: true, value: signed } : { ok: false, problem: check.problem };
}
