import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  isMethodName,
  methods,
  type ContractErrorData,
  type MethodName,
  type ParsedRequestOf,
  type ResponseOf,
  type WireResult,
} from '../../shared/ipc';
import { Refusal } from '../errors/refusal';
import { describeErrorForLog } from '../logging/error-report';
import type { Logger } from '../logging/logger';

/** Who is calling; bindings fill it in after they have checked the caller. */
export interface CallContext {
  readonly transport: 'electron-ipc' | 'websocket' | 'in-process';
  /** A per-connection id for the log, never user data. */
  readonly connectionId: string;
}

/**
 * One handler per contract method. The mapped type makes a missing handler a compile error,
 * and the router guarantees a handler only ever sees a payload that passed its schema.
 */
export type Handlers = {
  readonly [M in MethodName]: (request: ParsedRequestOf<M>, context: CallContext) => Promise<ResponseOf<M>>;
};

export interface ContractRouter {
  dispatch(method: unknown, payload: unknown, context: CallContext): Promise<WireResult<unknown>>;
}

/** Describes schema failures by path and rule only: the values sent may be PHI and never echo back. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(payload)'}: ${issue.code}`)
    .join('; ');
}

function failure(error: ContractErrorData): WireResult<never> {
  return { ok: false, error };
}

export interface ContractRouterOptions {
  /** False while the body is stopping: every call is then answered E_UNAVAILABLE. */
  readonly isAvailable?: () => boolean;
  /**
   * Checks, before the payload is even parsed, that the caller may use the method (an operator
   * session of the right role); throws a Refusal (E_FORBIDDEN) when not.
   */
  readonly authorize?: (method: MethodName, context: CallContext) => void;
  /** Turns a service's own error (for example a storage failure) into a Refusal, or returns it as it is. */
  readonly translate?: (method: MethodName, error: unknown) => unknown;
}

export function createContractRouter(handlers: Handlers, log: Logger, options: ContractRouterOptions = {}): ContractRouter {
  const isAvailable = options.isAvailable ?? (() => true);
  return {
    async dispatch(method, payload, context) {
      if (!isMethodName(method)) {
        log.warn({ connectionId: context.connectionId, transport: context.transport }, 'call to unknown method refused');
        return failure({
          code: 'E_UNKNOWN_METHOD',
          message: typeof method === 'string' && method.length <= 100 && /^[\w.]+$/.test(method)
            ? `No method named ${method}.`
            : 'No such method.',
        });
      }
      if (!isAvailable()) {
        return failure({ code: 'E_UNAVAILABLE', message: 'The node is shutting down.' });
      }
      try {
        options.authorize?.(method, context);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        log.warn({ method, connectionId: context.connectionId, code: error.code }, 'call refused: not authorized');
        return failure({ code: error.code, message: error.message.slice(0, 2000) });
      }
      const spec = methods[method];
      const parsed = spec.request.safeParse(payload);
      if (!parsed.success) {
        log.warn({ method, connectionId: context.connectionId, issues: describeIssues(parsed.error.issues) }, 'malformed request refused');
        return failure({
          code: 'E_BAD_REQUEST',
          message: `Invalid request for ${method}: ${describeIssues(parsed.error.issues)}.`,
        });
      }
      const handler = handlers[method] as (request: unknown, context: CallContext) => Promise<unknown>;
      try {
        const value = await handler(parsed.data, context);
        // The response schema guards the mind against a body bug, and keeps the contract honest.
        const checked = spec.response.safeParse(value);
        if (!checked.success) {
          const incident = randomUUID();
          log.error({ method, incident, issues: describeIssues(checked.error.issues) }, 'handler answered outside the contract');
          return failure({ code: 'E_INTERNAL', message: `The node could not complete ${method}.`, incident });
        }
        return { ok: true, value: checked.data };
      } catch (thrown) {
        const error = options.translate === undefined ? thrown : options.translate(method, thrown);
        if (error instanceof Refusal) {
          log.info({ method, connectionId: context.connectionId, code: error.code }, 'request refused');
          return failure({ code: error.code, message: error.message.slice(0, 2000) });
        }
        const incident = randomUUID();
        // The message may quote data (a name, an MRN): only the class and stack frames are logged.
        log.error({ method, incident, ...describeErrorForLog(error) }, 'handler failed');
        return failure({ code: 'E_INTERNAL', message: `The node could not complete ${method}.`, incident });
      }
    },
  };
}
