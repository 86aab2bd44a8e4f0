import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** Where the agent desktop's static files are served (`desktopDir` in the server's options). */
export const DESKTOP_PATH = '/desktop';

/**
 * Paths served without an API key: the OpenAPI document and its browsable rendering, the Parley vendor
 * endpoints (their messages are signed: signatures authenticate), the agent desktop's static files (its data
 * calls carry the key the user signs in with) and the channels' inbound webhooks (signed with their connector's
 * secret).
 */
export const PUBLIC_PATHS = [
  '/openapi.json',
  '/docs',
  '/parley/v1/vendors',
  DESKTOP_PATH,
  // Channel webhooks: each request is signed with its connector's secret (channels/routes.ts).
  '/crm/v1/channels',
];

export function isPublicPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * The OpenAPI 3 document is generated from the route schemas (the TMF definitions registered as shared
 * schemas become its components), so validation and documentation cannot drift apart. Register before routes.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Parley CRM',
        version: '0.1.0',
        description:
          'TM Forum Open APIs (TMF629 customer, TMF632 party, TMF666 account, TMF621 trouble ticket, TMF623 SLA, ' +
          'TMF635 usage, TMF683 party interaction) for a service provider, one tenant per API key. ' +
          'Errors are RFC 9457 problem+json naming the field.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key of the tenant' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
