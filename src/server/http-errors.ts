/**
 * Maps errors to JSON answers `{ error, message }`: typed errors to their HTTP status, validation errors to
 * 400, and anything unexpected to 500 with a generic message (logged, never sent with a stack).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  CancelledError,
  ConditionFailedError,
  InputError,
  JobFailedError,
  NotFoundError,
  ShardcastError,
  UsageError,
} from '../core/errors.js';

/** An error with an HTTP status, thrown by route handlers. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: string;
  message: string;
}

function fromShardcast(err: ShardcastError): [number, string] {
  if (err instanceof NotFoundError) return [404, 'not_found'];
  if (err instanceof UsageError || err instanceof InputError) return [400, 'bad_request'];
  if (err instanceof ConditionFailedError || err instanceof JobFailedError || err instanceof CancelledError) return [409, 'conflict'];
  return [500, 'internal'];
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_REQ_FILE_TOO_LARGE: [413, 'too_large'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'too_large'],
  FST_FILES_LIMIT: [413, 'too_large'],
  FST_PARTS_LIMIT: [413, 'too_large'],
  FST_FIELDS_LIMIT: [413, 'too_large'],
  FST_PROTO_VIOLATION: [400, 'bad_request'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'bad_request'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'bad_request'],
};

/** Status, code and a safe message for any error. */
export function describeError(err: unknown): { status: number; body: ErrorBody; unexpected: boolean } {
  if (err instanceof HttpError) return { status: err.statusCode, body: { error: err.code, message: err.message }, unexpected: false };
  if (err instanceof ShardcastError) {
    const [status, code] = fromShardcast(err);
    return { status, body: { error: code, message: err.message.replace(/\s*\n\s*/g, ' | ') }, unexpected: status === 500 };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return { status: 400, body: { error: 'bad_request', message: fe.message ?? 'invalid request' }, unexpected: false };
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return { status: known[0], body: { error: known[1], message: fe.message ?? known[1] }, unexpected: false };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { error: 'bad_request', message: fe.message ?? 'bad request' }, unexpected: false };
  }
  return { status: 500, body: { error: 'internal', message: 'internal server error; see the server log' }, unexpected: true };
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const { status, body, unexpected } = describeError(err);
    if (unexpected) request.log.error({ err }, 'request failed');
    if (status === 413) reply.header('connection', 'close');
    return reply.code(status).type('application/json').send(body);
  });
}
