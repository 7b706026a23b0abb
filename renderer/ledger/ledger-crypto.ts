/** The shared crypto the ledger uses, imported in one place (as renderer/vault/vault-crypto.ts does for the vault). */
export { fromBase64Url, isBase64Url, randomBytes, toBase64Url, utf8Encode } from '../../shared/crypto/bytes';
export { deriveOperatorId, derivePatientPseudonym } from '../../shared/crypto/vault-keys';
