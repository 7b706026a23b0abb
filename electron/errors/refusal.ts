import type { ErrorCode } from '../../shared/ipc';

/** The wire codes an expected refusal may carry (the router owns E_UNKNOWN_METHOD and E_INTERNAL). */
export type RefusalCode = Exclude<ErrorCode, 'E_UNKNOWN_METHOD' | 'E_INTERNAL'>;

/**
 * An expected refusal (a vault exists already, a stale keyring revision, no OS keychain). Services
 * throw their own subclasses; the contract router, and only it, turns any Refusal into a wire
 * error with its code and message. The message reaches the mind verbatim, so it must be PHI-free
 * by construction: it names states, fields and counts, never values that were sent or stored.
 */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
