/** The shared (isomorphic WebCrypto) crypto the mind's vault uses, imported in one place. */
export {
  asBytes,
  concatBytes,
  constantTimeEqual,
  fromBase64Url,
  randomBytes,
  toBase64Url,
  utf8Decode,
  utf8Encode,
  type Bytes,
} from '../../shared/crypto/bytes';
export { createOpener, createSealer, envelopeRangeReader, type Opener, type Sealer } from '../../shared/crypto/envelope';
export { decryptField, decryptMany, encryptMany, type EncryptedField, type FieldToEncrypt } from '../../shared/crypto/field-cipher';
export { blindTokens, identifierPrefixWords, normalizeWords, prefixTokens, queryTokens, recordWords, type QueryTokens, type RecordText } from '../../shared/crypto/blind-index';
export {
  createKeychainSlot,
  createPassphraseSlot,
  createRecoverySlot,
  createRoleSlot,
  KeySlotError,
  openKeySlot,
  unwrapSlot,
  zeroGrant,
  type GrantSecrets,
  type KeySlot,
  type OpenedSlot,
  type PassphraseSlot,
  type SlotSecret,
} from '../../shared/crypto/key-slots';
export { generateOperatorSigningKey, signSessionProof, type OperatorSigningKey } from '../../shared/crypto/operator-signing';
export { formatRecoveryKey, generateRecoveryKey, parseRecoveryKey, RecoveryKeyError } from '../../shared/crypto/recovery-key';
export { estimatePassphraseStrength, PASSPHRASE_MIN_LENGTH } from '../../shared/crypto/passphrase-strength';
export {
  deriveDirectorySecret,
  deriveOperatorId,
  deriveVaultKeys,
  importDirectoryKey,
  derivePatientPseudonym,
  generateMasterSecret,
  MASTER_SECRET_LENGTH,
  pseudonym,
  type VaultKeys,
} from '../../shared/crypto/vault-keys';
