import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { migrate, type Database } from '@parley/store';
import { CRM_MIGRATIONS } from '../migrations.js';
import { findPrincipal } from '../tenant/keys.js';
import { registerResource } from '../tmf/resource.js';
import { RESOURCES } from '../resources.js';
import { registerTicketRoutes } from '../ticket/routes.js';
import { registerSlaRoutes } from '../sla/routes.js';
import { HttpProblem, sendProblem } from './problem.js';
import { isPublicPath, registerOpenApi } from './openapi.js';

export interface CrmServerOptions {
  db: Database;
  logger?: boolean | object;
  bodyLimit?: number;
}

/** The CRM over HTTP: TM Forum resources under their base paths, one tenant per API key. */
export async function buildCrmServer(options: CrmServerOptions): Promise<FastifyInstance> {
  const { db } = options;
  await migrate(db, CRM_MIGRATIONS);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false } },
  });
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new HttpProblem(400, 'Bad Request', 'body: not valid JSON', 'body'));
    }
  });

  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    if (error instanceof HttpProblem)
      return sendProblem(reply, error.status, error.title, error.message, error.field);
    const e = error as FastifyError;
    if (e.validation) {
      const first = e.validation[0];
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const field = `${e.validationContext ?? 'body'}${(first?.instancePath ?? '').replace(/\//g, '.')}${extra ? '.' + extra : ''}`;
      const detail = extra
        ? `${field}: is not a member of this resource`
        : `${field}: ${first?.message ?? 'is not valid'}`;
      return sendProblem(reply, 400, 'Bad Request', detail, field);
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendProblem(reply, 413, 'Payload Too Large', 'body: larger than the limit');
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendProblem(
        reply,
        415,
        'Unsupported Media Type',
        'content-type: send application/json (or application/merge-patch+json for PATCH)',
        'content-type',
      );
    }
    if (e.statusCode === 400 || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return sendProblem(reply, 400, 'Bad Request', `body: ${e.message}`, 'body');
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, 500, 'Internal Server Error', 'The server could not answer; see its log.');
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 404, 'Not Found', `${request.method} ${request.url}: no such resource`),
  );

  await registerOpenApi(app);

  app.addHook('onRequest', async (request) => {
    if (isPublicPath(request.url)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header) ?? /^(\S+)$/.exec(String(request.headers['x-api-key'] ?? ''));
    if (!match)
      throw new HttpProblem(
        401,
        'Unauthorized',
        'authorization: send "Authorization: Bearer <API key>"',
        'authorization',
      );
    const principal = await findPrincipal(db, match[1] as string);
    if (!principal)
      throw new HttpProblem(401, 'Unauthorized', 'authorization: this API key is not valid', 'authorization');
    if (principal.role === 'readonly' && request.method !== 'GET' && request.method !== 'HEAD') {
      throw new HttpProblem(
        403,
        'Forbidden',
        'authorization: a read-only key cannot change anything',
        'authorization',
      );
    }
    request.principal = principal;
  });

  for (const spec of RESOURCES) registerResource(app, db, spec);
  registerTicketRoutes(app, db);
  registerSlaRoutes(app, db);
  return app;
}
