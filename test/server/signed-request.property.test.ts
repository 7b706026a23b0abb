import { verify } from 'node:crypto';
import { Wallet } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodySha256, canonicalRequest, EMPTY_BODY_SHA256, isCanonicalSignature, isSignablePath, parseRequestAuth, REQUEST_HEADERS, REQUEST_SIGNATURE_TAG, signRequest, verifyRequestSignature, walletRequestSigner, type CanonicalRequestInput } from '../../shared/network/signed-request';
import { secp256k1PublicKey, verifySecp256k1Sha256 } from '../../server/http/secp256k1';

/**
 * Property tests (fast-check) of the signed-request canonical form and header parsing
 * (shared/network/signed-request.ts), and of its verification with node:crypto as the server does it.
 */
const wallet = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const network = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a').address;
const publicKey = secp256k1PublicKey(Buffer.from(wallet.signingKey.publicKey.slice(2), 'hex'));

const hex = (length: number) => fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => Buffer.from(bytes).toString('hex'));
const pathArb = fc.stringMatching(/^\/[\x21-\x7e]{0,80}$/);
const methodArb = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE');
const inputArb: fc.Arbitrary<CanonicalRequestInput> = fc.record({
  network: fc.constant(network),
  address: fc.constant(wallet.address),
  method: methodArb,
  path: pathArb,
  bodySha256: hex(32),
  timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  nonce: hex(16),
});

describe('signed request canonical form', () => {
  it('has exactly eight lines, the tag first, and every field in its place', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const lines = canonicalRequest(input).split('\n');
        expect(lines).toEqual([REQUEST_SIGNATURE_TAG, input.network, input.address, input.method, input.path, input.bodySha256, String(input.timestamp), input.nonce]);
      }),
    );
  });

  it('is injective: two different inputs never share a canonical form', () => {
    fc.assert(
      fc.property(inputArb, inputArb, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(canonicalRequest(a)).not.toBe(canonicalRequest(b));
      }),
    );
  });

  it('refuses what cannot be signed unambiguously (line breaks, spaces, non-ASCII, lower-case methods)', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom('/a\nb', '/a b', '/é', 'relative', '', `/${'a'.repeat(2048)}`), (input, path) => {
        expect(isSignablePath(path)).toBe(false);
        expect(() => canonicalRequest({ ...input, path })).toThrow(RangeError);
      }),
    );
    expect(() => canonicalRequest({ network, address: wallet.address, method: 'get', path: '/', bodySha256: EMPTY_BODY_SHA256, timestamp: 1, nonce: '0'.repeat(32) })).toThrow(RangeError);
    expect(() => canonicalRequest({ network, address: wallet.address.toLowerCase(), method: 'GET', path: '/', bodySha256: EMPTY_BODY_SHA256, timestamp: 1, nonce: '0'.repeat(32) })).toThrow(RangeError);
  });

  it('hashes an absent body as SHA-256 of zero bytes, and a string as its UTF-8', () => {
    expect(bodySha256(undefined)).toBe(EMPTY_BODY_SHA256);
    expect(bodySha256('')).toBe(EMPTY_BODY_SHA256);
    expect(bodySha256('é')).toBe(bodySha256(new Uint8Array([0xc3, 0xa9])));
  });
});

describe('signed request headers', () => {
  it('signRequest → parseRequestAuth round-trips, and node:crypto verifies the signature over the canonical form', async () => {
    await fc.assert(
      fc.asyncProperty(methodArb, pathArb, fc.string({ maxLength: 200 }), fc.integer({ min: 0, max: 2 ** 45 }), async (method, path, body, now) => {
        const headers = await signRequest(walletRequestSigner(wallet), { network, method, path, body, now });
        const parsed = parseRequestAuth(headers);
        expect(parsed.kind).toBe('ok');
        if (parsed.kind !== 'ok') return;
        expect(parsed.auth).toMatchObject({ address: wallet.address, timestamp: now });
        expect(isCanonicalSignature(parsed.auth.signature)).toBe(true);
        const canonical = canonicalRequest({ network, address: wallet.address, method, path, bodySha256: bodySha256(body), timestamp: now, nonce: parsed.auth.nonce });
        const signature = Buffer.from(parsed.auth.signature.slice(2), 'hex');
        expect(verifySecp256k1Sha256(publicKey, Buffer.from(canonical), signature)).toBe(true);
        expect(verifyRequestSignature(wallet.signingKey.publicKey, canonical, parsed.auth.signature)).toBe(true);
        // Any other body, path or time: the same signature does not verify.
        expect(verifySecp256k1Sha256(publicKey, Buffer.from(canonical.replace(/\n(\d+)\n([0-9a-f]{32})$/, (_m, t: string, n: string) => `\n${Number(t) + 1}\n${n}`)), signature)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('is absent only when no header is present, and otherwise names the bad header without its value', () => {
    expect(parseRequestAuth({})).toEqual({ kind: 'absent' });
    fc.assert(
      fc.property(fc.subarray(Object.values(REQUEST_HEADERS), { minLength: 1 }), fc.string({ maxLength: 60 }), (names, junk) => {
        const headers = Object.fromEntries(names.map((name) => [name, `${junk}!`]));
        const parsed = parseRequestAuth(headers);
        expect(parsed.kind).toBe('invalid');
        if (parsed.kind === 'invalid') {
          expect(parsed.problem).toMatch(/^header x-hdms-[a-z]+ /);
          if (junk.length > 3) expect(parsed.problem).not.toContain(junk);
        }
      }),
    );
  });

  it('refuses repeated headers, high-s and zero signatures, and non-canonical numbers', async () => {
    const headers = await signRequest(walletRequestSigner(wallet), { network, method: 'GET', path: '/v1/members/me', now: 1_700_000_000_000 });
    const with_ = (name: string, value: string | string[]) => parseRequestAuth({ ...headers, [name]: value });
    expect(with_(REQUEST_HEADERS.nonce, [headers[REQUEST_HEADERS.nonce]!, headers[REQUEST_HEADERS.nonce]!]).kind).toBe('invalid');
    expect(with_(REQUEST_HEADERS.timestamp, '01700000000000').kind).toBe('invalid');
    expect(with_(REQUEST_HEADERS.timestamp, '-1').kind).toBe('invalid');
    expect(with_(REQUEST_HEADERS.timestamp, '1e12').kind).toBe('invalid');
    expect(with_(REQUEST_HEADERS.nonce, headers[REQUEST_HEADERS.nonce]!.toUpperCase()).kind).toBe('invalid');
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const signature = headers[REQUEST_HEADERS.signature]!;
    const highS = `${signature.slice(0, 66)}${(n - BigInt(`0x${signature.slice(66)}`)).toString(16).padStart(64, '0')}`;
    expect(with_(REQUEST_HEADERS.signature, highS).kind).toBe('invalid');
    expect(with_(REQUEST_HEADERS.signature, `0x${'00'.repeat(64)}`).kind).toBe('invalid');
    // OpenSSL would accept the high-s twin; the parser's low-s rule is what makes signatures unique.
    const canonical = canonicalRequest({ network, address: wallet.address, method: 'GET', path: '/v1/members/me', bodySha256: EMPTY_BODY_SHA256, timestamp: 1_700_000_000_000, nonce: headers[REQUEST_HEADERS.nonce]! });
    expect(verify('sha256', Buffer.from(canonical), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(highS.slice(2), 'hex'))).toBe(true);
  });
});
