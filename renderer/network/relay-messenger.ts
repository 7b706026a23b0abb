import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import type { RelaySentMeta } from '../../shared/journal/relay-meta';
import { sealMessage } from '../../shared/network/relay';
import { encodePayload, MAX_NOTE_LENGTH, NotePayloadSchema, type NotePayload } from '../../shared/network/relay-payload';
import { walletRequestSigner } from '../../shared/network/signed-request';
import { CurrentPort, type OpenSessionFeature, type SessionFeature, type SessionPort } from '../vault/session/session-feature';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import { decryptMany } from '../vault/vault-crypto';
import type { RelayMessageDetail } from '../vault/views/projectors/relay-projector';

/** How long the relay keeps a note for a member that is offline. */
export const NOTE_TTL_MS = 7 * 24 * 3600_000;
/** The newest messages shown. */
export const MESSAGES_SHOWN = 200;

export interface RelayMessageView extends RelayMessageDetail {
  readonly key: string;
  readonly direction: 'in' | 'out';
  /** Unix ms: when it arrived, or was sent. */
  readonly at: number;
}

export interface NoteInput {
  /** The recipient member's address (from the network map). */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface RelayMessenger {
  /** The newest messages received and sent, newest first. */
  messages(): Promise<RelayMessageView[]>;
  /** Seals a note to one member (end to end, signed inside), sends it through the relay and journals it. */
  sendNote(input: NoteInput): Promise<void>;
}

const NAMESPACES = ['network'] as const;
type Port = SessionPort<(typeof NAMESPACES)[number]>;

/**
 * Relay messages, the mind's half (issue 10 item 9): the body receives and journals envelopes
 * while the vault is locked; the views open them (relay-projector.ts) with the message key; this
 * feature reads them for the UI and sends: it seals to the recipient's message key from the
 * verified network map, signs inside with the identity key, has the body post the envelope, and
 * journals what was sent (a `message.sent` event) so the conversation rebuilds from the journal.
 */
export class RelayMessengerFeature implements SessionFeature<(typeof NAMESPACES)[number]>, RelayMessenger {
  readonly name = 'relay';
  readonly namespaces = NAMESPACES;
  private readonly session = new CurrentPort<(typeof NAMESPACES)[number]>();

  open(port: Port): OpenSessionFeature {
    return this.session.open(port);
  }

  private current(): Port {
    return this.session.get();
  }

  async messages(): Promise<RelayMessageView[]> {
    const port = this.current();
    try {
      const rows = await port.db().relayMessages.orderBy('at').reverse().limit(MESSAGES_SHOWN).toArray();
      const details = await decryptMany<RelayMessageDetail>(
        port.viewKey,
        rows.map((row) => ({ table: 'relayMessages', id: row.key, stored: row.enc })),
      );
      return rows.map((row, index) => ({ ...details[index]!, key: row.key, direction: row.direction, at: row.at }));
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async sendNote(input: NoteInput): Promise<void> {
    const port = this.current();
    const parsed = NotePayloadSchema.safeParse({ type: 'note', subject: input.subject, text: input.text });
    if (!parsed.success) throw new VaultError('E_NODE', `A note needs a subject (at most 200 characters) and at most ${MAX_NOTE_LENGTH.toLocaleString('en')} characters of text.`);
    const note: NotePayload = parsed.data;
    try {
      const { state } = await port.api.network.status({});
      if (state === null || state.status !== 'approved' || state.map === null) throw new VaultError('E_NODE', 'This node is not an approved member of a network yet.');
      const member = state.map.members.find((m) => m.address === input.to);
      if (member === undefined || member.address === state.node) throw new VaultError('E_NODE', 'That institution is not a member of the network.');
      if (member.messageKey === undefined) throw new VaultError('E_NODE', 'The network map does not name that member’s message key yet: refresh the network and try again.');
      const envelope = await sealMessage({ signer: walletRequestSigner(port.identity), recipient: member.address, recipientMessageKey: member.messageKey, payload: encodePayload(note), ttlMs: NOTE_TTL_MS });
      await port.api.network.send({ envelopes: [envelope] });
      const meta: RelaySentMeta = { v: 1, id: envelope.id, to: [member.address], payload: note, sentAt: envelope.createdAt };
      await port.appendEvent(MIND_KINDS.messageSent, meta);
      await port.sync();
    } catch (error) {
      throw asVaultError(error);
    }
  }
}
