// The npm package secp256k1 (libsecp256k1, bitcoin-core's C library, as a Node-API addon with
// prebuilt binaries) ships no types; this declares the one call the notary uses, from its
// `bindings` entry (the native addon only, never the package's pure-JS fallback).
declare module 'secp256k1/bindings' {
  /** The public key (65 bytes uncompressed when `compressed` is false) that signed `msg32`; throws when none does. */
  export function ecdsaRecover(signature: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean, output?: Uint8Array): Uint8Array;
}
