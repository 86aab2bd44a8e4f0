import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import { ProtocolError } from '@parley/protocol';
import { IntegrityError, MerkleProofError, RecordError } from '../errors.js';
import type { MerkleLog } from '../log.js';
import type { Witness } from '../witness/witness.js';

export interface LedgerServerOptions {
  log: MerkleLog;
  /** The log's public key as a note verifier key (vkey), served so clients can pin it. */
  logVkey: string;
  witness?: { witness: Witness; vkey: string };
  /** Bearer token required to append; without one, the append endpoint is off. */
  appendToken?: string;
  logger?: boolean | object;
}

const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  field: Type.Optional(Type.String()),
});

const Size = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

const InclusionQuery = Type.Object(
  {
    index: Type.Optional(Size),
    hash: Type.Optional(
      Type.String({
        pattern: '^([0-9a-f]{64}|[A-Za-z0-9+/]{43}=|[A-Za-z0-9_-]{43})$',
        description: 'leaf hash: hex, base64 or base64url',
      }),
    ),
    treeSize: Type.Optional(Size),
  },
  { additionalProperties: false },
);
const ConsistencyQuery = Type.Object(
  { from: Size, to: Type.Optional(Size) },
  { additionalProperties: false },
);
const IndexParams = Type.Object({ index: Size });
const AppendBody = Type.Object({
  records: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: 10_000 }),
});

function problem(reply: FastifyReply, status: number, title: string, detail: string, field?: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `https://parley.dev/problems/${title.toLowerCase().replace(/\W+/g, '-')}`,
      title,
      status,
      detail,
      ...(field ? { field } : {}),
    });
}

function decodeHash(text: string): Buffer {
  if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
  return Buffer.from(
    text,
    text.includes('-') || text.includes('_') || !text.endsWith('=') ? 'base64url' : 'base64',
  );
}

/**
 * The ledger over HTTP: read endpoints anyone can use to check the log, the append endpoint for the
 * services that own it, and the witness's add-checkpoint (C2SP tlog-witness) when a witness is configured.
 */
export function buildLedgerServer(options: LedgerServerOptions): FastifyInstance {
  const { log } = options;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 8 * 1024 * 1024 });
  app.addContentTypeParser(
    ['text/plain', 'application/octet-stream'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      const first = error.validation[0];
      const field = `${error.validationContext ?? 'request'}${first?.instancePath ? first.instancePath.replace(/\//g, '.') : ''}`;
      return problem(reply, 400, 'Bad Request', `${field}: ${first?.message ?? error.message}`, field);
    }
    if (error instanceof IntegrityError) {
      reply.log.error({ err: error }, 'ledger integrity failure');
      return problem(reply, 500, 'Ledger Integrity Failure', error.message, error.field);
    }
    if (error instanceof MerkleProofError && error.code === 'not-found')
      return problem(reply, 404, 'Not Found', error.message, error.field);
    if (error instanceof RecordError)
      return problem(reply, 422, 'Unprocessable Record', error.message, error.field);
    if (error instanceof ProtocolError) return problem(reply, 400, 'Bad Request', error.message, error.field);
    if (error.statusCode && error.statusCode < 500)
      return problem(reply, error.statusCode, 'Bad Request', error.message);
    reply.log.error({ err: error }, 'unexpected error');
    return problem(reply, 500, 'Internal Server Error', 'The ledger could not answer; see its log.');
  });

  app.get('/', () => ({
    origin: log.signer.origin,
    size: log.size,
    logVkey: options.logVkey,
    ...(options.witness ? { witnessVkey: options.witness.vkey } : {}),
    endpoints: [
      '/checkpoint',
      '/proof/inclusion',
      '/proof/consistency',
      '/leaves/:index',
      '/receipts/:index',
    ],
  }));

  /** The latest checkpoint, as the signed note (tlog-checkpoint). */
  app.get('/checkpoint', async (_request, reply) => {
    return reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(log.checkpoint.note);
  });

  app.get<{ Querystring: Static<typeof InclusionQuery> }>(
    '/proof/inclusion',
    { schema: { querystring: InclusionQuery, response: { 400: Problem, 404: Problem } } },
    async (request, reply) => {
      const { index, hash, treeSize } = request.query;
      if ((index === undefined) === (hash === undefined)) {
        return problem(
          reply,
          400,
          'Bad Request',
          'querystring: give exactly one of index or hash',
          'querystring',
        );
      }
      const proof =
        index !== undefined
          ? await log.inclusionProof(index, treeSize)
          : await log.inclusionProofByHash(decodeHash(hash as string), treeSize);
      return {
        index: proof.index,
        treeSize: proof.treeSize,
        leafHash: proof.leafHash.toString('base64'),
        proof: proof.proof.map((p) => p.toString('base64')),
      };
    },
  );

  app.get<{ Querystring: Static<typeof ConsistencyQuery> }>(
    '/proof/consistency',
    { schema: { querystring: ConsistencyQuery } },
    async (request) => {
      const to = request.query.to ?? log.size;
      const proof = await log.consistencyProof(request.query.from, to);
      return { from: request.query.from, to, proof: proof.map((p) => p.toString('base64')) };
    },
  );

  app.get<{ Params: Static<typeof IndexParams> }>(
    '/leaves/:index',
    { schema: { params: IndexParams } },
    async (request, reply) => {
      if (request.params.index >= log.size)
        return problem(reply, 404, 'Not Found', `index: the log has ${log.size} leaves`, 'index');
      const leaf = await log.leaf(request.params.index);
      return { index: leaf.index, leafHash: leaf.leafHash.toString('base64'), record: leaf.record };
    },
  );

  app.get<{ Params: Static<typeof IndexParams> }>(
    '/receipts/:index',
    { schema: { params: IndexParams } },
    async (request, reply) => {
      if (request.params.index >= log.size)
        return problem(reply, 404, 'Not Found', `index: the log has ${log.size} leaves`, 'index');
      return log.receipt(request.params.index);
    },
  );

  if (options.appendToken) {
    const expected = Buffer.from(`Bearer ${options.appendToken}`);
    app.post<{ Body: Static<typeof AppendBody> }>(
      '/entries',
      { schema: { body: AppendBody } },
      async (request, reply) => {
        const given = Buffer.from(request.headers.authorization ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          return problem(
            reply,
            401,
            'Unauthorized',
            'authorization: a valid bearer token is required to append',
            'authorization',
          );
        }
        const result = await log.append(request.body.records);
        return reply.code(201).send({
          firstIndex: result.firstIndex,
          count: result.count,
          treeSize: result.checkpoint.size,
          checkpoint: result.checkpoint.note,
        });
      },
    );
  }

  if (options.witness) {
    const { witness } = options.witness;
    app.post('/add-checkpoint', async (request, reply) => {
      const body = typeof request.body === 'string' ? request.body : '';
      const response = await witness.addCheckpoint(body);
      return reply.code(response.status).type(response.contentType).send(response.body);
    });
  }

  return app;
}
