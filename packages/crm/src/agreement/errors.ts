import { ChainError, ProtocolError } from '@parley/protocol';
import { HttpProblem } from '../http/problem.js';

/**
 * Protocol refusals as problem+json: `field` is the path of what failed inside the request body (prefixed
 * with the member that holds the message, e.g. `proposal.` or `payload.`), `code` the protocol's reason.
 * Malformed messages and failed signatures are 400; a well-formed message that does not fit the agreement
 * is 422; a chain conflict (fork, gap) is 409.
 */
export function protocolProblem(error: ProtocolError, prefix = ''): HttpProblem {
  const inner = error.field;
  const field = [prefix, inner].filter(Boolean).join('.') || 'body';
  const detail = error.message.startsWith(`${inner}: `)
    ? error.message.slice(inner.length + 2)
    : error.message;
  if (error instanceof ChainError)
    return new HttpProblem(409, 'Conflict', `${field}: ${detail}`, field, error.code);
  const semantic =
    error.layer === 'agreement' ||
    error.layer === 'receipt' ||
    ['wrong-party', 'wrong-agreement', 'not-own', 'same-party'].includes(error.code);
  return new HttpProblem(
    semantic ? 422 : 400,
    semantic ? 'Unprocessable Entity' : 'Bad Request',
    `${field}: ${detail}`,
    field,
    error.code,
  );
}

/** Runs a protocol check; a ProtocolError becomes the problem that names the field under `prefix`. */
export function checked<T>(prefix: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ProtocolError) throw protocolProblem(error, prefix);
    throw error;
  }
}

export const refused = (
  status: 409 | 410 | 422 | 404,
  detail: string,
  field: string | undefined,
  code: string,
) =>
  new HttpProblem(
    status,
    { 404: 'Not Found', 409: 'Conflict', 410: 'Gone', 422: 'Unprocessable Entity' }[status],
    detail,
    field,
    code,
  );
