import type { StoredNetworkState } from '../../shared/ipc/network-contract';
import { CosignatureAcceptedSchema, endorsedWitnessKeys, NOTARY_ROUTES, WitnessListSchema } from '../../shared/network/notary';
import { openCheckpoint } from '../../shared/transparency/log-verifier';
import { formatSignatureLine, NoteError, parseNote, signatureFor } from '../../shared/transparency/note';
import { requestJson } from './network-http';
import type { RelayConnection } from './relay-inbox';
import { NetworkRefusal } from './server-url';
import type { TransportStore } from './transport-store';

export interface WitnessOutcome {
  /** The tree size of the newest checkpoint kept that carries the map's quorum of endorsed witness cosignatures; 0 if none. */
  readonly witnessedSize: number;
  /** Endorsed cosignatures on that checkpoint, of current witnesses. */
  readonly cosignatures: number;
  /** Why this node's own witnessing stopped (PHI-free), or null. */
  readonly problem: string | null;
}

/**
 * Witnessing (issue 10 item 6), once per network round, after the ledger sync kept a checkpoint it
 * checked (signed by the log key, consistent with every checkpoint kept before it):
 *
 *   1. Which of the node's entries are **witnessed**: the kept checkpoint's cosignatures, counted
 *      only for keys of current witness members (the verified map) that their member's identity
 *      key endorsed (GET /v1/log/witnesses, each endorsement checked here), against the map's
 *      quorum. Every leaf below a witnessed checkpoint's size is witnessed.
 *   2. A node with the witness role cosigns: it registers its cosigning key with the identity
 *      key's endorsement (once), and posts a cosignature for each newer checkpoint it kept. It
 *      never cosigns a checkpoint the ledger sync did not check for consistency with the last one
 *      (which is the one it cosigned before, or extends it): that check is the witness's duty.
 *
 * The newly posted cosignature shows on the checkpoint the next round fetches.
 */
export async function witnessRound(state: StoredNetworkState, checkpoint: string | null, transport: TransportStore, connection: RelayConnection): Promise<WitnessOutcome> {
  const map = state.map;
  if (checkpoint === null || map === null || map.logKey === '') return { witnessedSize: 0, cosignatures: 0, problem: null };
  const list = WitnessListSchema.safeParse((await requestJson(`${state.url}${NOTARY_ROUTES.witnesses}`)).body);
  if (!list.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The notary listed its witnesses in a form this node does not understand.');
  const members = new Set(map.members.filter((member) => member.roles.includes('witness')).map((member) => member.address));
  const keys = endorsedWitnessKeys(state.network.address, list.data, members);

  let witnessedSize = 0;
  let cosignatures = 0;
  try {
    // A cosignature by a key the node does not take is ignored; one by a taken key that fails rejects the note.
    const opened = openCheckpoint(checkpoint, { logKey: map.logKey, witnesses: keys, quorum: Math.min(map.witnessQuorum, keys.length) });
    cosignatures = opened.cosignatures.length;
    if (map.witnessQuorum > 0 && cosignatures >= map.witnessQuorum) witnessedSize = opened.checkpoint.size;
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    return { witnessedSize: 0, cosignatures: 0, problem: 'Alarm: the kept checkpoint carries a witness cosignature that does not verify.' };
  }

  if (!state.roles.includes('witness') || !members.has(state.node)) return { witnessedSize, cosignatures, problem: null };
  const own = await transport.witness(state.node);
  if (own.endorsement === null) return { witnessedSize, cosignatures, problem: 'This node witnesses once an administrator or clinician unlocks it (its cosigning key needs the identity key’s endorsement).' };
  if (!list.data.witnesses.some((w) => w.member === state.node && w.vkey === own.vkey)) {
    await requestJson(`${state.url}${NOTARY_ROUTES.witnessMe}`, { method: 'PUT', body: { vkey: own.vkey, endorsement: own.endorsement }, sign: connection.sign });
  }
  const { text } = parseNote(checkpoint);
  const size = openCheckpoint(checkpoint, { logKey: map.logKey }).checkpoint.size;
  if (size > (await transport.cosignedSize())) {
    const line = formatSignatureLine(signatureFor(text, await transport.witnessSigner(state.node))).trimEnd();
    const answer = await requestJson(`${state.url}${NOTARY_ROUTES.cosignatures}`, { method: 'POST', body: { treeSize: size, line }, sign: connection.sign });
    if (!CosignatureAcceptedSchema.safeParse(answer.body).success) throw new NetworkRefusal('E_UNAVAILABLE', 'The notary answered the cosignature in a form this node does not understand.');
    await transport.setCosignedSize(size);
  }
  return { witnessedSize, cosignatures, problem: null };
}
