import type { FastifyReply } from 'fastify';

/** RFC 9457 problem details. `field` names the request member at fault (Parley's extension). */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly field: string | undefined;
  /** A stable reason for programs (the protocol's error codes: `replay`, `fork`, `signature`, ...). */
  readonly code: string | undefined;

  constructor(status: number, title: string, detail: string, field?: string, code?: string) {
    super(detail);
    this.status = status;
    this.title = title;
    this.field = field;
    this.code = code;
  }
}

export const badRequest = (detail: string, field?: string) =>
  new HttpProblem(400, 'Bad Request', detail, field);
export const notFound = (detail: string, field?: string) => new HttpProblem(404, 'Not Found', detail, field);
export const unprocessable = (detail: string, field?: string) =>
  new HttpProblem(422, 'Unprocessable Entity', detail, field);

export function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  detail: string,
  field?: string,
  code?: string,
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `https://parley.dev/problems/${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
      title,
      status,
      detail,
      instance: reply.request.url,
      ...(field ? { field } : {}),
      ...(code ? { code } : {}),
    });
}
