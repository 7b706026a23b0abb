import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import { SignedCertificateSchema } from './membership';

/**
 * The network server's HTTP API as both sides see it: routes, typed errors and response bodies.
 *
 *   POST /v1/join              body SignedJoinRequest (public; rate limited per IP)  → JoinStatus
 *   GET  /v1/join/:address     (public)                                            → JoinStatus
 *   GET  /v1/network-map       (public; ETag / If-None-Match → 304)                → SignedNetworkMap
 *   GET  /v1/members/me        (signed member request)                             → MemberSelf
 *   GET  /healthz              (public)                                            → { ok: true }
 *
 * Every refusal is `{ error: { code, message } }` with one of the codes below and its HTTP status;
 * the message is a fixed sentence and never quotes the request.
 */
export const API_ROUTES = {
  join: '/v1/join',
  joinStatus: (address: string) => `/v1/join/${address}`,
  networkMap: '/v1/network-map',
  membersMe: '/v1/members/me',
  health: '/healthz',
} as const;

export const API_ERRORS = {
  malformed_json: 400,
  invalid_request: 400,
  invalid_signature_headers: 400,
  wrong_network: 400,
  bad_cosignature: 400,
  /** A delivery chunk's bytes do not hash to the x-hdms-content-sha256 that was signed (shared/network/delivery.ts). */
  chunk_hash_mismatch: 400,
  missing_signature: 401,
  timestamp_out_of_window: 401,
  bad_signature: 401,
  bad_delegation: 401,
  replayed_nonce: 401,
  unknown_member: 403,
  membership_pending: 403,
  membership_rejected: 403,
  membership_revoked: 403,
  not_a_witness: 403,
  role_required: 403,
  not_delivery_recipient: 403,
  not_found: 404,
  request_timeout: 408,
  join_conflict: 409,
  query_conflict: 409,
  /** A consumption key (an offer, a key release) is consumed or claimed for another entry (shared/network/notary.ts). */
  input_consumed: 409,
  delivery_conflict: 409,
  delivery_incomplete: 409,
  payload_too_large: 413,
  delivery_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  /** The completed delivery does not hash to the SHA-256 its sender declared. */
  delivery_hash_mismatch: 422,
  rate_limited: 429,
  delivery_quota_exceeded: 429,
  internal_error: 500,
  unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;
export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

export const ApiErrorSchema = z.strictObject({
  error: z.strictObject({ code: z.enum(API_ERROR_CODES as [ApiErrorCode, ...ApiErrorCode[]]), message: z.string().max(500) }),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

export const MEMBERSHIP_STATUSES = ['pending', 'approved', 'rejected', 'revoked'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];

/** The answer to a join and to a status poll: the certificate once approved. */
export const JoinStatusSchema = z.strictObject({
  address: AddressSchema,
  status: z.enum(MEMBERSHIP_STATUSES),
  certificate: SignedCertificateSchema.nullable(),
});
export type JoinStatus = z.infer<typeof JoinStatusSchema>;

/** `GET /v1/members/me`: who the server thinks the signer is. */
export const MemberSelfSchema = z.strictObject({
  address: AddressSchema,
  status: z.literal('approved'),
  certificate: SignedCertificateSchema,
  epoch: z.number().int().min(0),
});
export type MemberSelf = z.infer<typeof MemberSelfSchema>;
