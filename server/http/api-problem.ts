import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { API_ERRORS, type ApiError, type ApiErrorCode } from '../../shared/network/api';
import { MembershipError } from '../doorman/membership-service';

/**
 * A refusal the client is told about: `{ error: { code, message } }` with the code's HTTP status.
 * Messages are fixed sentences written here; they never quote the request (no echo of input, so
 * nothing a client sends comes back or lands in the log through an error).
 */
export class ApiProblem extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiProblem';
    this.statusCode = API_ERRORS[code];
  }
}

export function problemBody(code: ApiErrorCode, message: string): ApiError {
  return { error: { code, message } };
}

/** Fastify's own errors (parsing, limits, timeouts), translated to typed problems. */
function translate(error: FastifyError): ApiProblem {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiProblem('payload_too_large', 'The request body is larger than this endpoint accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiProblem('unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiProblem('malformed_json', 'The request body is not valid JSON.');
    case 'FST_ERR_REQ_TIMEOUT':
      return new ApiProblem('request_timeout', 'The request took too long to arrive.');
    default:
      break;
  }
  const status = error.statusCode ?? 500;
  if (status === 429) return new ApiProblem('rate_limited', 'Too many requests; slow down and retry later.');
  if (status === 413) return new ApiProblem('payload_too_large', 'The request body is larger than this endpoint accepts.');
  if (status === 415) return new ApiProblem('unsupported_media_type', 'Send the body as application/json.');
  if (status === 408) return new ApiProblem('request_timeout', 'The request took too long to arrive.');
  if (status === 404) return new ApiProblem('not_found', 'No such resource.');
  if (status >= 400 && status < 500) return new ApiProblem('invalid_request', 'The request is not valid.');
  return new ApiProblem('internal_error', 'The server could not complete the request.');
}

export function errorHandler(error: FastifyError | ApiProblem | MembershipError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = error instanceof ApiProblem ? error : error instanceof MembershipError ? new ApiProblem(error.code, error.message) : translate(error);
  if (problem.statusCode >= 500) {
    // The error's class, code and message: ours and the database's name no request content.
    request.log.error({ err: { type: error.name, code: (error as { code?: unknown }).code, message: error.message } }, 'request failed');
  } else {
    request.log.info({ problem: problem.code }, 'request refused');
  }
  void reply.code(problem.statusCode).type('application/json; charset=utf-8').send(problemBody(problem.code, problem.message));
}
