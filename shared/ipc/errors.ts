import { z } from 'zod';

/**
 * Errors cross the wire as data, never as thrown objects: Electron's IPC and contextBridge keep
 * only the message of an Error, and a WebSocket carries JSON. Messages are PHI-free by
 * construction: they name methods, fields and rule codes, never the values that were sent.
 */
export const ERROR_CODES = [
  'E_BAD_REQUEST', // the payload failed the method's schema
  'E_UNKNOWN_METHOD', // no such method in the contract
  'E_FORBIDDEN', // the caller is not allowed (wrong origin, missing token)
  'E_UNAVAILABLE', // the body is stopping or not started, or a resource it needs is missing (no OS keychain, a full disk)
  'E_CONFLICT', // the request does not fit the current state (a vault exists already, none exists yet, a stale keyring revision)
  'E_INTERNAL', // a bug in the body; details are in the body's log under the same incident id
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const ContractErrorSchema = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string().max(2000),
  /** Correlates with the body's log; random, carries no data. */
  incident: z.string().max(64).optional(),
});

export type ContractErrorData = Readonly<z.infer<typeof ContractErrorSchema>>;

/** What a renderer receives when a call fails: an Error that keeps the typed fields. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly incident: string | undefined;

  constructor(data: ContractErrorData) {
    super(data.message);
    this.name = 'ContractError';
    this.code = data.code;
    this.incident = data.incident;
  }

  toData(): ContractErrorData {
    return this.incident === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, incident: this.incident };
  }
}

/** Every call's answer on the wire. */
export type WireResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ContractErrorData };

export const WireResultSchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: ContractErrorSchema }),
]);

export function unwrapResult<T>(result: WireResult<T>): T {
  if (result.ok) return result.value;
  throw new ContractError(result.error);
}
