import { existsSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { migrate, type Database } from '@parley/store';
import { CRM_MIGRATIONS } from '../migrations.js';
import { principalCache } from '../tenant/keys.js';
import { registerResource, type ResourceEventSink } from '../tmf/resource.js';
import { RESOURCES } from '../resources.js';
import { registerTicketRoutes } from '../ticket/routes.js';
import { registerSlaRoutes } from '../sla/routes.js';
import { registerCsvRoutes } from '../csv/routes.js';
import { INSIGHT_MIGRATIONS } from '../insight/migrations.js';
import { registerInsightRoutes } from '../insight/routes.js';
import {
  HUB_MIGRATIONS,
  HubDeliverer,
  hubEventSink,
  registerHub,
  type HubDelivererOptions,
} from '../hub/index.js';
import { escalateTickets } from '../ticket/escalation.js';
import { tmfBasePath, type TmfApi } from '../tmf/schemas.js';
import { Party, type Clock } from '@parley/protocol';
import {
  AGREEMENT_MIGRATIONS,
  AgreementLedger,
  registerAgreementRoutes,
  VendorKeys,
  VendorProfiles,
  type LedgerOptions,
} from '../agreement/index.js';
import { KeyedLock } from '../agreement/lock.js';
import { INTENT_MIGRATIONS } from '../intent/migrations.js';
import { registerIntentRoutes } from '../intent/routes.js';
import { IntentService, type IntentOptions } from '../intent/service.js';
import { ONWARD_MIGRATIONS, OnwardService, registerOnwardRoutes } from '../onward/index.js';
import type { OnwardServiceOptions } from '../onward/service.js';
import { nowOf, type VendorContext } from '../agreement/vendor.js';
import { COMPLIANCE_MIGRATIONS } from '../compliance/migrations.js';
import { registerComplianceRoutes } from '../compliance/routes.js';
import { DesktopContext } from '../desktop/context.js';
import { DESKTOP_MIGRATIONS } from '../desktop/migrations.js';
import { registerDesktopRoutes } from '../desktop/routes.js';
import { SELFCARE_MIGRATIONS } from '../analytics/migrations-selfcare.js';
import { QOE_MIGRATIONS } from '../analytics/migrations-qoe.js';
import { registerQoeRoutes } from '../analytics/qoe-routes.js';
import { registerSelfcareRoutes } from '../analytics/selfcare-routes.js';
import { modelChurnRisk } from '../analytics/churn.js';
import { CHURN_MIGRATIONS } from '../analytics/migrations-churn.js';
import { registerChurnRoutes } from '../analytics/routes-churn.js';
import { ANALYTICS_MIGRATIONS } from '../analytics/migrations.js';
import { registerSegmentRoutes } from '../analytics/segments-routes.js';
import { registerSatisfactionRoutes } from '../analytics/satisfaction-routes.js';
import { purgeDue, purgeNotices, scheduleRetention, type PurgeDone } from '../compliance/retention.js';
import { registerRightsRoutes } from '../rights/routes.js';
import { CHANNEL_MIGRATIONS } from '../channels/migrations.js';
import { registerChannelRoutes } from '../channels/routes.js';
import { registerQueueRoute } from '../channels/queue.js';
import { escalateToSupervisor } from '../channels/desk.js';
import { feedbackNotices } from '../channels/reply.js';
import { jsonPoster, type PostOptions } from '../channels/outbound.js';
import { HttpProblem, sendProblem } from './problem.js';
import { DESKTOP_PATH, isPublicPath, registerOpenApi } from './openapi.js';

export interface CrmServerOptions {
  db: Database;
  logger?: boolean | object;
  bodyLimit?: number;
  /** Webhook delivery settings for /hub subscriptions (tests shorten the backoff). */
  hub?: Omit<HubDelivererOptions, 'db' | 'logger'>;
  /** The largest CSV import body (default 512 MiB). */
  csvBodyLimit?: number;
  /** How often open tickets are checked against their SLA clock; 0 turns the timer off. Default one minute. */
  escalationIntervalMs?: number;
  /**
   * The server's master identity: each tenant's vendor identity is derived from it (`pairwise('tenant:' + id)`),
   * and so is the ledger's key. Default: a new one (ephemeral: agreements made with it outlive no restart).
   */
  vendorKey?: Party;
  /** The ledger of agreements and events (default: in memory, origin `parley-crm/ledger`). */
  ledger?: LedgerOptions;
  /** How often the agents' intent feeds the tenants follow are read (ms); 0 turns the timer off. Default 30 s. */
  intentFeedPollMs?: number;
  /** Intentcasting: offer size and lifetime, delivery of answers to replyTo, feed time limits. */
  intents?: Omit<IntentOptions, 'feedPollMs' | 'publicUrl'>;
  /**
   * The URL others reach this server at (e.g. https://crm.example), named as `vendor` in answers sent to an
   * agent's replyTo; default: the scheme and host of the request that led to the answer.
   */
  publicUrl?: string;
  /** Onward sharing: recipients' answer time limit, how often pending withdrawals are retried (0: off). */
  onward?: OnwardServiceOptions;
  /** How often values whose retention ended are purged (ms); 0 turns the timer off. Default 15 minutes. */
  retentionIntervalMs?: number;
  /** The clock events are received and retention is judged by (default Date.now); tests move it. */
  clock?: Clock;
  /** Replies posted to channel providers (email, chat, Mastodon): time limit, attempts, backoff. */
  channels?: PostOptions;
  /**
   * The built agent desktop (`crmDesktopDir` of @parley/web: index.html and assets/), served without a key at
   * `/desktop/`; its data calls carry the staff API key the user signs in with. Absent or not built: not served.
   */
  desktopDir?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Intentcasting: `pollFeeds()` reads the followed feeds now, `deliverAnswers()` sends what is due. */
    parleyIntents: IntentService;
    /** Onward sharing: `retry()` retries pending withdrawals now, `settled()` waits for background work. */
    parleyOnward: OnwardService;
    /** Retention: `purgeDue()` purges now what is due by the server's clock. */
    parleyRetention: { purgeDue(at?: Date): Promise<PurgeDone[]> };
    /** The agent desktop's context service (its churn-risk provider can be replaced). */
    parleyDesktop: DesktopContext;
  }
}

/** The CRM over HTTP: TM Forum resources under their base paths, one tenant per API key. */
export async function buildCrmServer(options: CrmServerOptions): Promise<FastifyInstance> {
  const { db } = options;
  await migrate(db, [
    ...CRM_MIGRATIONS,
    ...HUB_MIGRATIONS,
    ...INSIGHT_MIGRATIONS,
    ...AGREEMENT_MIGRATIONS,
    ...INTENT_MIGRATIONS,
    ...ONWARD_MIGRATIONS,
    ...COMPLIANCE_MIGRATIONS,
    ...CHANNEL_MIGRATIONS,
    ...DESKTOP_MIGRATIONS,
    ...SELFCARE_MIGRATIONS,
    ...QOE_MIGRATIONS,
    ...CHURN_MIGRATIONS,
    ...ANALYTICS_MIGRATIONS,
  ]);
  const keys = new VendorKeys(options.vendorKey ?? Party.generate('parley-crm (ephemeral)'));
  const ledger = await AgreementLedger.open(keys.ledgerKey(), options.ledger);
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
      return sendProblem(reply, error.status, error.title, error.message, error.field, error.code);
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

  const principalOf = principalCache(db);
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
    const principal = await principalOf(match[1] as string);
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

  const deliverer = new HubDeliverer({ ...options.hub, db, logger: app.log });
  const notify = hubEventSink({ kind: db.kind, notify: () => deliverer.notify() });
  // APIs that share a base path (Parley's extensions under TMF666's) share its hub.
  const hubApis = new Map<string, TmfApi>();
  for (const spec of RESOURCES)
    if (!hubApis.has(tmfBasePath(spec.api))) hubApis.set(tmfBasePath(spec.api), spec.api);
  const events: ResourceEventSink = (tx, event) =>
    notify(tx, { ...event, api: hubApis.get(tmfBasePath(event.api)) ?? event.api });
  for (const spec of RESOURCES) registerResource(app, db, spec, events);
  for (const api of hubApis.values()) registerHub(app, db, api);
  registerTicketRoutes(app, db, events, escalateToSupervisor);
  registerSlaRoutes(app, db);
  registerCsvRoutes(app, db, { bodyLimit: options.csvBodyLimit });
  registerInsightRoutes(app, db);
  const vendor = {
    db,
    keys,
    ledger,
    profiles: new VendorProfiles(db),
    lock: new KeyedLock(),
    events,
    ...(options.clock ? { clock: options.clock } : {}),
  } as VendorContext;
  // Notices: signed purge receipts, then the desk's signed Feedback replies (channels/reply.ts).
  vendor.notices = async (tenantId, agreementId) => [
    ...(await purgeNotices(vendor, tenantId, agreementId)),
    ...(await feedbackNotices(vendor, tenantId, agreementId)),
  ];
  app.decorate('parleyRetention', { purgeDue: (at?: Date) => purgeDue(vendor, at) });
  const retentionInterval = options.retentionIntervalMs ?? 15 * 60_000;
  let retention: { stop(): Promise<void> } | undefined;
  const intents = new IntentService(
    vendor,
    {
      ...options.intents,
      feedPollMs: options.intentFeedPollMs ?? 30_000,
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    },
    app.log,
  );
  app.decorate('parleyIntents', intents);
  const onward = new OnwardService(vendor, options.onward, app.log);
  (vendor as VendorContext).afterAgreementChange = onward.afterAgreementChange;
  app.decorate('parleyOnward', onward);
  await registerAgreementRoutes(app, { ...vendor, catalogue: intents.catalogues, offers: intents.offers });
  await registerIntentRoutes(app, intents.ctx);
  registerRightsRoutes(app, {
    db,
    ledger,
    events,
    forgetKeys: principalOf.clear,
    // An erasure ends her agreements as a termination does: their onward shares are withdrawn.
    afterTermination: async (tenantId, agreementIds) => {
      const tenant = await vendor.profiles.tenant(tenantId);
      if (!tenant) return;
      for (const id of agreementIds)
        (vendor as VendorContext).afterAgreementChange?.(tenant, id, 'terminated');
    },
  });
  await registerOnwardRoutes(app, vendor, onward);
  registerComplianceRoutes(app, vendor);
  registerQueueRoute(app, db, () => nowOf(vendor));
  await registerChannelRoutes(app, vendor, { post: jsonPoster(options.channels) });
  const desktop = new DesktopContext(db, options.clock?.now ? { now: options.clock.now } : {});
  app.decorate('parleyDesktop', desktop);
  registerDesktopRoutes(app, desktop);
  registerQoeRoutes(app, db.kysely, () => nowOf(vendor).getTime());
  registerSelfcareRoutes(app, db.kysely, () => nowOf(vendor).getTime());
  desktop.churnRisk = modelChurnRisk(db);
  registerChurnRoutes(app, db, () => desktop.now());
  registerSegmentRoutes(app, db.kysely, () => nowOf(vendor));
  registerSatisfactionRoutes(app, db.kysely, () => nowOf(vendor));
  if (options.desktopDir && existsSync(options.desktopDir)) {
    await app.register(fastifyStatic, {
      root: options.desktopDir,
      prefix: `${DESKTOP_PATH}/`,
      index: 'index.html',
    });
    // Its asset URLs are relative: the page must be at /desktop/, not /desktop.
    app.get(DESKTOP_PATH, { schema: { hide: true } }, (_request, reply) =>
      reply.redirect(`${DESKTOP_PATH}/`),
    );
  }

  const interval = options.escalationIntervalMs ?? 60_000;
  let escalation: NodeJS.Timeout | undefined;
  const escalateAll = async () => {
    const tenants = (await db.kysely.selectFrom('crm_tenants').select('id').execute()) as { id: string }[];
    for (const { id } of tenants) await escalateTickets(db, id, new Date(), events, escalateToSupervisor);
  };
  app.addHook('onReady', async () => {
    if (retentionInterval > 0) retention = scheduleRetention(vendor, retentionInterval, app.log);
    deliverer.start();
    intents.start();
    onward.start();
    if (interval > 0) {
      escalation = setInterval(() => {
        escalateAll().catch((err: unknown) => app.log.error({ err }, 'ticket escalation failed'));
      }, interval);
      escalation.unref();
    }
  });
  app.addHook('onClose', async () => {
    clearInterval(escalation);
    await retention?.stop();
    await intents.stop();
    await onward.stop();
    await deliverer.stop();
    await ledger.close();
  });
  return app;
}
