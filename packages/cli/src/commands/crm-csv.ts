import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import {
  bootstrapTenant,
  CRM_MIGRATIONS,
  CSV_KINDS,
  exportCsv,
  HttpProblem,
  importCsv,
  type CsvKind,
  type ImportProgress,
} from '@parley/crm';
import { migrate, openDatabase, type Database } from '@parley/store';
import { CliError } from '../io.js';

const n = (x: number) => Math.round(x).toLocaleString('en-US');

function kindOf(value: string): CsvKind {
  if (!(CSV_KINDS as readonly string[]).includes(value))
    throw new CliError(`KIND: expected ${CSV_KINDS.join(', ')}, not ${value}`);
  return value as CsvKind;
}

function open(file: string): Database {
  return openDatabase({ url: process.env.DATABASE_URL || file });
}

/**
 * A tenant by id or name. On a database without tenants, "default" is created as `serve` creates it (with
 * PARLEY_BOOTSTRAP_KEY, or a new admin key printed once).
 */
async function findTenant(db: Database, idOrName: string): Promise<string> {
  const rows = (await db.kysely
    .selectFrom('crm_tenants')
    .select(['id', 'name'])
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .execute()) as { id: string; name: string }[];
  const byId = rows.find((r) => r.id === idOrName);
  if (byId) return byId.id;
  if (rows.length > 1) throw new CliError(`--tenant: several tenants are named ${idOrName}; give its id`);
  if (rows[0]) return rows[0].id;
  if (idOrName === 'default') {
    const boot = await bootstrapTenant(db, process.env.PARLEY_BOOTSTRAP_KEY || undefined);
    if (boot.tenantId) {
      if (boot.generatedKey)
        process.stderr.write(
          `Created the default tenant. Its admin API key, shown this once:\n\n    ${boot.generatedKey}\n\n` +
            'Keep it: only its hash is stored. Send it as "Authorization: Bearer <key>".\n',
        );
      return boot.tenantId;
    }
  }
  throw new CliError(`--tenant: no tenant ${idOrName}`);
}

/** `parley crm import KIND FILE`: a CSV file into a tenant, all rows or none, with progress on stderr. */
export function crmImportCommand(): Command {
  return new Command('import')
    .description(
      'Import parties, accounts or usage records from a CSV file (columns: docs/crm-csv.md) into a tenant. ' +
        'Every row is checked first; if any row fails, nothing is written and every error is listed by row ' +
        '(as a spreadsheet numbers it) and column. Writes to the SQLite file (DATABASE_URL=postgres://... ' +
        'switches to PostgreSQL). FILE - reads standard input.',
    )
    .argument('<kind>', `what the file holds: ${CSV_KINDS.join(', ')}`)
    .argument('<file>', 'the CSV file (- for standard input)')
    .option('--db <file>', 'SQLite database file (ignored when DATABASE_URL is set)', 'parley.db')
    .option('--tenant <id>', 'tenant id or name', 'default')
    .option('--dry-run', 'check every row, write nothing')
    .option('--agreement <id>', 'agreement of the rows that name none')
    .option('--batch <n>', 'rows per transaction', '10000')
    .action(
      async (
        kindText: string,
        file: string,
        options: { db: string; tenant: string; dryRun?: boolean; agreement?: string; batch: string },
      ) => {
        const kind = kindOf(kindText);
        const batchSize = Number(options.batch);
        if (!Number.isInteger(batchSize) || batchSize < 1)
          throw new CliError('--batch: expected a whole number >= 1');
        if (file !== '-' && !existsSync(file)) throw new CliError(`cannot read ${file}: no such file`);
        const db = open(options.db);
        try {
          await migrate(db, CRM_MIGRATIONS);
          const tenantId = await findTenant(db, options.tenant);
          const tty = process.stderr.isTTY;
          const show = (p: ImportProgress) => {
            const line =
              p.phase === 'validate'
                ? `checked ${n(p.rowsRead)} rows (${n(p.rowsFailed)} with errors), ${n(p.rate)} rows/s`
                : `wrote ${n(p.rowsWritten)} / ${n(p.rowsRead)} rows, ${n(p.rate)} rows/s`;
            process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
          };
          const report = await importCsv(
            db,
            tenantId,
            kind,
            () => (file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 })),
            {
              dryRun: Boolean(options.dryRun),
              batchSize,
              ...(options.agreement ? { agreementId: options.agreement } : {}),
              progressIntervalMs: tty ? 250 : 2000,
              onProgress: show,
            },
          );
          if (tty) process.stderr.write('\n');
          for (const e of report.errors)
            process.stderr.write(`row ${e.row}${e.column ? `, ${e.column}` : ''}: ${e.message}\n`);
          if (report.errorsTruncated) process.stderr.write('... and more errors, not listed\n');
          const rate = n(
            (report.dryRun ? report.rowsRead : report.rowsWritten) / Math.max(report.seconds, 1e-3),
          );
          if (report.rowsFailed > 0) {
            throw new CliError(
              `${kind}: ${n(report.rowsFailed)} of ${n(report.rowsRead)} rows have errors; ` +
                (report.rowsWritten > 0
                  ? `${n(report.rowsWritten)} rows were written before the failure`
                  : 'nothing was written'),
            );
          }
          process.stdout.write(
            report.dryRun
              ? `${kind}: ${n(report.rowsRead)} rows checked, all valid (dry run: nothing written) in ${report.seconds.toFixed(1)} s, ${rate} rows/s\n`
              : `${kind}: imported ${n(report.rowsWritten)} rows into tenant ${options.tenant} on ${db.kind} ${db.location} in ${report.seconds.toFixed(1)} s, ${rate} rows/s\n`,
          );
        } finally {
          await db.close();
        }
      },
    );
}

/** `parley crm export KIND`: a tenant's records as CSV, streamed to a file or standard output. */
export function crmExportCommand(): Command {
  return new Command('export')
    .description(
      'Export parties, accounts or usage records of a tenant as CSV, in the columns the import takes ' +
        '(docs/crm-csv.md), to --out or standard output. Filters: parties --party-kind --status; accounts ' +
        '--party-id (holder) --state; usage --account-id --party-id --service-id --usage-type --from --to.',
    )
    .argument('<kind>', `what to export: ${CSV_KINDS.join(', ')}`)
    .option('--out <file>', 'write to this file instead of standard output')
    .option('--db <file>', 'SQLite database file (ignored when DATABASE_URL is set)', 'parley.db')
    .option('--tenant <id>', 'tenant id or name', 'default')
    .option('--account-id <id>', 'usage of this account')
    .option('--party-id <id>', 'usage of this party; accounts held by this party')
    .option('--service-id <id>', 'usage of this service')
    .option('--usage-type <type>', 'voice, sms or data')
    .option('--from <time>', 'usage from this time on (ISO 8601, inclusive)')
    .option('--to <time>', 'usage before this time (ISO 8601, exclusive)')
    .option('--party-kind <kind>', 'Individual or Organization')
    .option('--status <status>', 'parties with this status')
    .option('--state <state>', 'accounts in this state')
    .action(async (kindText: string, options: Record<string, string | undefined>) => {
      const kind = kindOf(kindText);
      const filters = {
        accountId: options.accountId,
        partyId: options.partyId,
        serviceId: options.serviceId,
        usageType: options.usageType,
        from: options.from,
        to: options.to,
        kind: options.partyKind,
        status: options.status,
        state: options.state,
      };
      const db = open(options.db as string);
      try {
        await migrate(db, CRM_MIGRATIONS);
        const tenantId = await findTenant(db, options.tenant as string);
        let rows = 0;
        let shown = 0;
        const started = performance.now();
        let chunks: AsyncGenerator<string>;
        try {
          chunks = exportCsv(db, tenantId, kind, filters, {
            onProgress: (r) => {
              rows = r;
              if (Date.now() - shown < 1000) return;
              shown = Date.now();
              const line = `exported ${n(rows)} rows`;
              process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
            },
          });
        } catch (error) {
          if (error instanceof HttpProblem) {
            const option =
              error.field === 'kind'
                ? 'party-kind'
                : (error.field ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
            throw new CliError(`--${option}: ${error.message.replace(/^[^:]*: /, '')}`);
          }
          throw error;
        }
        if (options.out) await mkdir(dirname(options.out), { recursive: true });
        if (options.out) await pipeline(Readable.from(chunks), createWriteStream(options.out));
        else
          for await (const chunk of chunks)
            if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        if (process.stderr.isTTY && shown > 0) process.stderr.write('\n');
        const seconds = (performance.now() - started) / 1000;
        process.stderr.write(
          `${kind}: exported ${n(rows)} rows${options.out ? ` to ${options.out}` : ''} in ${seconds.toFixed(1)} s\n`,
        );
      } finally {
        await db.close();
      }
    });
}
