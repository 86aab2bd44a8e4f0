import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Database } from '@parley/store';
import { badRequest, HttpProblem } from '../http/problem.js';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { AGREEMENT_HEADER } from '../tmf/resource.js';
import { exportCsv } from './export.js';
import { CSV_KINDS, type CsvKind } from './format.js';
import { CSV_FORMATS, importCsv, type ImportReport } from './import.js';

export interface CsvRouteOptions {
  /** Largest CSV body accepted by an import (default 512 MiB). */
  bodyLimit?: number;
}

export const CSV_IMPORT_PATH = '/crm/v1/import';
export const CSV_EXPORT_PATH = '/crm/v1/export';
const TAGS = ['CSV import and export'];

const rowError = {
  type: 'object',
  properties: {
    row: { type: 'integer', description: 'The row as a spreadsheet numbers it (the header is row 1)' },
    column: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['row', 'message'],
};
const reportProperties = {
  kind: { type: 'string', enum: [...CSV_KINDS] },
  dryRun: { type: 'boolean' },
  rowsRead: { type: 'integer' },
  rowsWritten: { type: 'integer' },
  rowsFailed: { type: 'integer', description: 'Rows with at least one error' },
  errors: { type: 'array', items: rowError, description: 'The first 1,000 errors' },
  errorsTruncated: { type: 'boolean' },
  seconds: { type: 'number' },
};

const kindParams = {
  type: 'object',
  properties: { kind: { type: 'string', enum: [...CSV_KINDS], description: 'parties, accounts or usage' } },
  required: ['kind'],
};

/** Counts the body's bytes as they arrive and stops past the limit (the parser hands over the raw stream). */
async function* limited(body: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > limit)
      throw new HttpProblem(413, 'Payload Too Large', `body: larger than ${limit} bytes`, 'body');
    yield chunk;
  }
}

/**
 * CSV import and export of parties, accounts and usage records for the caller's tenant (docs/crm-csv.md):
 * `POST /crm/v1/import/{kind}` with a text/csv body (`?dryRun=true` to validate only), and
 * `GET /crm/v1/export/{kind}` streaming text/csv. Register after the authentication hook.
 */
export function registerCsvRoutes(app: FastifyInstance, db: Database, options: CsvRouteOptions = {}): void {
  const bodyLimit = options.bodyLimit ?? 512 * 1024 * 1024;
  for (const type of ['text/csv', 'application/csv']) {
    // The body is handed over as the raw stream: the import reads it as it arrives.
    if (!app.hasContentTypeParser(type))
      app.addContentTypeParser(type, (_request, payload, done) => done(null, payload));
  }

  app.post(
    `${CSV_IMPORT_PATH}/:kind`,
    {
      bodyLimit,
      schema: {
        tags: TAGS,
        summary: 'Imports parties, accounts or usage records from CSV, all rows or none',
        description:
          'The body is CSV (RFC 4180) with a header row naming the columns (docs/crm-csv.md). Every row is ' +
          'validated first; if any row fails, nothing is written and the answer is 422 with every error by row ' +
          'and column (the header is row 1). Otherwise the rows are written in batches of 10,000, each in one ' +
          'transaction. The parley-agreement header gives the agreement of rows that name none. Roles admin and agent.',
        consumes: ['text/csv'],
        params: kindParams,
        querystring: {
          type: 'object',
          properties: {
            dryRun: {
              type: 'string',
              enum: ['true', 'false'],
              description: 'true: validate only, write nothing',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: reportProperties,
            description: 'Every row was written (or, on a dry run, is valid)',
          },
          422: {
            type: 'object',
            description:
              'Problem details (RFC 9457) with the report: some rows have errors, nothing was written',
            properties: {
              type: { type: 'string' },
              title: { type: 'string' },
              status: { type: 'integer' },
              detail: { type: 'string' },
              instance: { type: 'string' },
              ...reportProperties,
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'import');
      const { kind } = request.params as { kind: CsvKind };
      const dryRun = (request.query as { dryRun?: string }).dryRun === 'true';
      const agreementId = request.headers[AGREEMENT_HEADER];
      if (
        agreementId !== undefined &&
        (typeof agreementId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(agreementId))
      ) {
        throw badRequest(
          `${AGREEMENT_HEADER}: expected one agreement id (1-200 visible ASCII characters)`,
          AGREEMENT_HEADER,
        );
      }
      const body = request.body as AsyncIterable<Buffer> | undefined;
      if (
        !body ||
        typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
      ) {
        throw new HttpProblem(
          415,
          'Unsupported Media Type',
          'content-type: send the CSV as text/csv',
          'content-type',
        );
      }
      const length = Number(request.headers['content-length'] ?? 0);
      if (length > bodyLimit)
        throw new HttpProblem(413, 'Payload Too Large', `body: larger than ${bodyLimit} bytes`, 'body');
      const report = await importCsv(db, tenantId, kind, limited(body, bodyLimit), {
        dryRun,
        ...(agreementId ? { agreementId } : {}),
        progressIntervalMs: 5000,
        onProgress: (p) =>
          request.log.info(
            { import: kind, ...p },
            `CSV import ${p.phase}: ${p.rowsRead} rows read, ${p.rowsWritten} written`,
          ),
      });
      return sendReport(reply, report);
    },
  );

  app.get(
    `${CSV_EXPORT_PATH}/:kind`,
    {
      schema: {
        tags: TAGS,
        summary: 'Exports parties, accounts or usage records as CSV',
        description:
          'Streams text/csv in the columns the import takes (docs/crm-csv.md). Filters: parties: kind, status; ' +
          'accounts: partyId (holder), state; usage: accountId, partyId, serviceId, usageType, from (inclusive), ' +
          'to (exclusive). Roles admin, agent and readonly.',
        produces: ['text/csv'],
        params: kindParams,
        querystring: {
          type: 'object',
          additionalProperties: true,
          properties: Object.fromEntries(
            [...new Set(Object.values(CSV_FORMATS).flatMap((f) => Object.entries(f.filters)))].map(
              ([name, description]) => [name, { type: 'string', description }],
            ),
          ),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, STAFF, "export a tenant's data");
      const { kind } = request.params as { kind: CsvKind };
      const chunks = exportCsv(db, tenantId, kind, request.query as Record<string, string | undefined>);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${kind}.csv"`)
        .send(Readable.from(chunks));
    },
  );
}

function sendReport(reply: FastifyReply, report: ImportReport) {
  if (report.rowsFailed === 0) return reply.code(200).send(report);
  const detail =
    report.rowsWritten === 0
      ? `${report.rowsFailed} of ${report.rowsRead} rows have errors; nothing was written`
      : `the import stopped: ${report.rowsWritten} rows were written before the error`;
  return reply
    .code(422)
    .type('application/problem+json')
    .send({
      type: 'https://parley.dev/problems/unprocessable-entity',
      title: 'Unprocessable Entity',
      status: 422,
      detail,
      instance: reply.request.url,
      ...report,
    });
}
