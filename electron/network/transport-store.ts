import path from 'node:path';
import { SigningKey, Wallet } from 'ethers';
import { z } from 'zod';
import { delegationSignedBy, isDelegationCurrent, TransportDelegationSchema, type TransportDelegation } from '../../shared/network/transport-delegation';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';
import { isWitnessKeyEndorsed, witnessKeyName } from '../../shared/network/notary';
import { cosignatureV1Signer } from '../../shared/transparency/cosignature';
import { generateEd25519SecretKey, vkeyOf, type NoteSigner } from '../../shared/transparency/note';
import { fromHex, toHex } from '../../shared/crypto/bytes';

const StoredSchema = z.strictObject({
  v: z.literal(1),
  /** The transport key's private scalar, 0x + 64 hex digits. */
  privateKey: z.string().regex(/^0x[0-9a-f]{64}$/),
  delegation: TransportDelegationSchema.nullable(),
  /** The witness's Ed25519 cosigning secret (hex), created with the record; used only if the node is a witness. */
  witnessSecret: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The identity key's endorsement of the witness vkey (shared/network/notary.ts), once the mind signed it. */
  witnessEndorsement: z.string().regex(/^0x[0-9a-f]{128}$/).nullable().optional(),
  /** The largest checkpoint size this node cosigned. */
  cosignedSize: z.number().int().min(0).optional(),
});
type Stored = z.infer<typeof StoredSchema>;

/** Renew a delegation at unlock when less than this is left of it. */
export const RENEW_BEFORE_MS = 7 * 24 * 3600_000;

/**
 * `<data>/network/transport.json` (0600): the body's transport key and the delegation the mind last
 * signed for it (shared/network/transport-delegation.ts). Not vault data and no PHI: a credential
 * that lets the locked body fetch the member's relay ciphertexts and make requests in its name until
 * the delegation expires; it signs nothing a member's identity key signs. Created on first use.
 */
export class TransportStore {
  readonly file: string;
  private cached: Stored | null = null;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'network', 'transport.json');
  }

  private async load(): Promise<Stored> {
    if (this.cached !== null) return this.cached;
    const text = await readTextIfExists(this.file);
    if (text !== null) {
      const parsed = StoredSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error('network/transport.json is not a transport key record of this version');
      this.cached = parsed.data;
      return parsed.data;
    }
    const fresh: Stored = { v: 1, privateKey: Wallet.createRandom().privateKey.toLowerCase(), delegation: null };
    await this.save(fresh);
    return fresh;
  }

  private async save(stored: Stored): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(stored, null, 2)}\n`);
    this.cached = stored;
  }

  /** The transport key's public point, 0x04 ‖ X ‖ Y in lowercase hex: what a delegation names. */
  async publicKey(): Promise<string> {
    return new SigningKey((await this.load()).privateKey).publicKey.toLowerCase();
  }

  private async withWitness(): Promise<Stored & { readonly witnessSecret: string }> {
    const stored = await this.load();
    if (stored.witnessSecret !== undefined) return stored as Stored & { readonly witnessSecret: string };
    const next = { ...stored, witnessSecret: toHex(generateEd25519SecretKey()), witnessEndorsement: null };
    await this.save(next);
    return next;
  }

  /** This node's witness cosigner (C2SP cosignature/v1, named for the member). */
  async witnessSigner(member: string): Promise<NoteSigner> {
    return cosignatureV1Signer(witnessKeyName(member), fromHex((await this.withWitness()).witnessSecret));
  }

  /** The witness vkey, and the identity key's endorsement of it when the mind has signed one. */
  async witness(member: string): Promise<{ readonly vkey: string; readonly endorsement: string | null }> {
    const stored = await this.withWitness();
    return { vkey: vkeyOf(await this.witnessSigner(member)), endorsement: stored.witnessEndorsement ?? null };
  }

  /** Keeps the mind's endorsement of the witness key when it verifies; answers the problem, or null. */
  async acceptWitnessEndorsement(endorsement: string, member: string, network: string): Promise<string | null> {
    const { vkey } = await this.witness(member);
    if (!isWitnessKeyEndorsed(network, member, vkey, endorsement)) return 'the witness key endorsement is not signed by this node\'s identity key';
    await this.save({ ...(await this.load()), witnessEndorsement: endorsement });
    return null;
  }

  async cosignedSize(): Promise<number> {
    return (await this.load()).cosignedSize ?? 0;
  }

  async setCosignedSize(size: number): Promise<void> {
    await this.save({ ...(await this.load()), cosignedSize: size });
  }

  /** The key and its delegation while the delegation is current for `member`; else null (the relay waits for an unlock). */
  async current(member: string, network: string, now = Date.now()): Promise<{ readonly key: SigningKey; readonly delegation: TransportDelegation } | null> {
    const stored = await this.load();
    const d = stored.delegation;
    if (d === null || d.member !== member || d.network !== network || !isDelegationCurrent(d, now)) return null;
    const key = new SigningKey(stored.privateKey);
    return key.publicKey.toLowerCase() === d.transportKey ? { key, delegation: d } : null;
  }

  /** When the stored delegation runs out (Unix ms), or null without one. */
  async expiresAt(): Promise<number | null> {
    return (await this.load()).delegation?.notAfter ?? null;
  }

  /**
   * Keeps a delegation the mind signed: it must name this transport key, this member and network,
   * be current, and be signed by the member's identity key. Answers the problem, or null when kept.
   */
  async accept(delegation: TransportDelegation, member: string, network: string, now = Date.now()): Promise<string | null> {
    const stored = await this.load();
    if (delegation.transportKey !== (await this.publicKey())) return 'the delegation names another transport key';
    if (delegation.member !== member || delegation.network !== network) return 'the delegation is for another member or network';
    if (!isDelegationCurrent(delegation, now)) return 'the delegation is not current';
    if (!delegationSignedBy(delegation, member)) return 'the delegation is not signed by this node\'s identity key';
    await this.save({ ...stored, delegation });
    return null;
  }
}
