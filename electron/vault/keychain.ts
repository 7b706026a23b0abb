/**
 * The OS keychain, as the body sees it (design §3: optional "unlock automatically on this
 * computer"). It keeps one entry: the 32-byte key of the keyring's keychain slot and the operator
 * it unlocks as. Electron implements it with safeStorage (safe-storage-keychain.ts); the browser
 * shell has none, so the contract answers `available: false` there.
 *
 * This is the one place the body holds something that opens the vault (briefly, while passing it
 * to the mind after a restart), which the design allows for unattended unlock.
 */
export interface KeychainEntry {
  readonly operatorId: string;
  /** The keychain slot's key, 32 bytes. */
  readonly key: Uint8Array;
}

export interface KeychainPort {
  /** Whether the OS offers real encryption now (Linux without a keyring does not). */
  available(): boolean;
  store(entry: KeychainEntry): Promise<void>;
  /** The stored entry, or null if there is none (or it no longer decrypts). */
  load(): Promise<KeychainEntry | null>;
  clear(): Promise<void>;
}
