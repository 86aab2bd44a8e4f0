import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseKeyFile, Party, serializeKeyFile } from '@parley/protocol';
import {
  addApiKey,
  bootstrapTenant,
  buildCrmServer,
  createTenant,
  CRM_MIGRATIONS,
  INSIGHT_MIGRATIONS,
  seedTelco,
  vendorPath,
} from '@parley/crm';
import { migrate, openDatabase, type Database } from '@parley/store';
import { CliError, writeText } from '../io.js';
import { crmExportCommand, crmImportCommand } from './crm-csv.js';

/** The built agent desktop, when packages/web is there and built (`crmDesktopDir` of @parley/web). */
export async function crmDesktopDir(): Promise<string | undefined> {
  try {
    const web = (await import('@parley/web' as string)) as { crmDesktopDir?: string };
    return web.crmDesktopDir && existsSync(join(web.crmDesktopDir, 'index.html'))
      ? web.crmDesktopDir
      : undefined;
  } catch {
    return undefined;
  }
}

export function crmCommand(): Command {
  const crm = new Command('crm').description(
    "The vendor's CRM: TM Forum Open APIs (customer, party, ...) for one or more tenants",
  );
  crm
    .command('serve')
    .description(
      'Start the CRM server on the embedded default (a SQLite file; DATABASE_URL=postgres://... switches to ' +
        'PostgreSQL). APIs live under the TM Forum base paths, e.g. /tmf-api/customerManagement/v4/customer. ' +
        'On a fresh database PARLEY_BOOTSTRAP_KEY=... creates the default tenant whose admin key it is; without ' +
        'it, the first start prints a newly made key once. Send it as "Authorization: Bearer KEY". Each tenant ' +
        'is also a Parley vendor at /parley/v1/vendors/{tenantId} (docs/relationships.md), printed at start; ' +
        'its identity derives from the vendor key file, and agreements and events are logged in the ledger.',
    )
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--db <file>', 'SQLite database file (ignored when DATABASE_URL is set)', 'parley.db')
    .option(
      '--vendor-key <file>',
      "the server's key file (every tenant's vendor identity and the ledger key derive from it); created " +
        'owner-only when missing (default: parley-vendor.key.json beside the database)',
    )
    .option(
      '--ledger <file>',
      'the ledger of agreements and events: a SQLite file or a postgres:// URL (default: parley-crm-ledger.db ' +
        'beside the database)',
    )
    .option('--ledger-origin <name>', "the ledger's origin (its name in checkpoints)", 'parley-crm/ledger')
    .action(
      async (options: {
        port: string;
        host: string;
        db: string;
        vendorKey?: string;
        ledger?: string;
        ledgerOrigin: string;
      }) => {
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new CliError('--port: expected a port number');
        const url = process.env.DATABASE_URL || options.db;
        // Files that belong with the database sit beside it (beside the working directory for PostgreSQL).
        const beside = (name: string) =>
          /^postgres(ql)?:\/\//.test(url) ? name : join(dirname(options.db), name);
        const { party: vendorKey, created } = loadOrCreateKey(
          options.vendorKey ?? beside('parley-vendor.key.json'),
        );
        const db = openDatabase({ url });
        await migrate(db, CRM_MIGRATIONS);
        const boot = await bootstrapTenant(db, process.env.PARLEY_BOOTSTRAP_KEY || undefined);
        const desktopDir = await crmDesktopDir();
        const app = await buildCrmServer({
          db,
          logger: { level: process.env.LOG_LEVEL ?? 'info' },
          vendorKey,
          ledger: { url: options.ledger ?? beside('parley-crm-ledger.db'), origin: options.ledgerOrigin },
          ...(desktopDir ? { desktopDir } : {}),
        });
        const address = await app.listen({ host: options.host, port });
        process.stderr.write(`CRM on ${address} (${db.kind} ${db.location})\n`);
        process.stderr.write(
          desktopDir
            ? `Agent desktop: ${address}/desktop/ (sign in with a staff API key)\n`
            : 'Agent desktop: not built (npm run build -w @parley/web)\n',
        );
        if (created)
          process.stderr.write(`Created the vendor key file ${created} (owner-only; keep it safe).\n`);
        if (boot.generatedKey) {
          process.stderr.write(
            `Created the default tenant. Its admin API key, shown this once:\n\n    ${boot.generatedKey}\n\n` +
              'Keep it: only its hash is stored. Send it as "Authorization: Bearer <key>".\n',
          );
        } else if (boot.created) {
          process.stderr.write('Created the default tenant with PARLEY_BOOTSTRAP_KEY as its admin key.\n');
        }
        const tenants = (await db.kysely
          .selectFrom('crm_tenants')
          .select(['id', 'name'])
          .orderBy('created_at')
          .execute()) as { id: string; name: string }[];
        process.stderr.write("Parley vendor endpoints (give one to a person's agent):\n");
        for (const t of tenants) process.stderr.write(`    ${address}${vendorPath(t.id)}  (${t.name})\n`);
        const stop = async () => {
          await app.close();
          await db.close();
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      },
    );
  crm
    .command('seed')
    .description(
      'Generate a synthetic telco into a tenant: account holders with family members (some under parental ' +
        'controls), guests outside billing, services under Gold/Silver/Bronze SLAs, QoE measurements, trouble ' +
        'tickets, interactions on every channel and usage records (CDRs). Deterministic from --seed. Writes to ' +
        'the SQLite file (DATABASE_URL=postgres://... switches to PostgreSQL); the tenant is created when missing.',
    )
    .requiredOption('--accounts <n>', 'number of billing accounts (one holder each)')
    .option('--db <file>', 'SQLite database file (ignored when DATABASE_URL is set)', 'parley.db')
    .option('--tenant <name>', 'tenant to seed (created when missing)', 'default')
    .option('--seed <s>', 'seed of the generator: the same seed gives the same data', '1')
    .option('--cdrs-per-user <n>', 'usage records per user', '20')
    .action(
      async (options: {
        accounts: string;
        db: string;
        tenant: string;
        seed: string;
        cdrsPerUser: string;
      }) => {
        const accounts = Number(options.accounts);
        if (!/^[0-9]+$/.test(options.accounts) || accounts < 1)
          throw new CliError('--accounts: expected a whole number >= 1');
        const cdrsPerUser = Number(options.cdrsPerUser);
        if (!/^[0-9]+$/.test(options.cdrsPerUser))
          throw new CliError('--cdrs-per-user: expected a whole number');
        const db = openDatabase({ url: process.env.DATABASE_URL || options.db, synchronous: 'normal' });
        try {
          await migrate(db, [...CRM_MIGRATIONS, ...INSIGHT_MIGRATIONS]);
          const tenantId = await seedTenant(db, options.tenant);
          const tty = process.stderr.isTTY;
          let shown = 0;
          const result = await seedTelco(db, tenantId, {
            accounts,
            seed: options.seed,
            cdrsPerUser,
            onProgress: (p) => {
              const now = Date.now();
              if (p.phase === 'accounts' && p.accountsDone < p.accounts && now - shown < 1000) return;
              shown = now;
              const line =
                p.phase === 'analyze'
                  ? `updating planner statistics (${p.rows.toLocaleString('en-US')} rows written)`
                  : p.phase === 'done'
                    ? ''
                    : `seeded ${p.accountsDone.toLocaleString('en-US')} / ${p.accounts.toLocaleString('en-US')} ` +
                      `accounts, ${p.rows.toLocaleString('en-US')} rows, ${p.seconds.toFixed(1)} s, ` +
                      `${Math.round(p.rows / Math.max(p.seconds, 1e-3)).toLocaleString('en-US')} rows/s`;
              if (line) process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
            },
          });
          if (tty) process.stderr.write('\n');
          const r = result.rows;
          const n = (table: string) => (r[table] ?? 0).toLocaleString('en-US');
          process.stdout.write(
            `seeded tenant ${options.tenant} (${tenantId}) on ${db.kind} ${db.location}: ` +
              `${n('crm_accounts')} accounts, ${n('crm_parties')} parties, ${n('crm_account_members')} members, ` +
              `${n('crm_user_groups')} groups, ${n('crm_customers')} customers, ${n('crm_services')} services, ` +
              `${n('crm_slas')} SLAs, ${n('crm_qoe_measurements')} QoE measurements, ${n('crm_tickets')} tickets, ` +
              `${n('crm_interactions')} interactions, ${n('crm_usage')} usage records; ` +
              `${result.totalRows.toLocaleString('en-US')} rows in ${result.seconds.toFixed(1)} s\n`,
          );
        } finally {
          await db.close();
        }
      },
    );
  crm.addCommand(crmImportCommand());
  crm.addCommand(crmExportCommand());
  return crm;
}

/**
 * The tenant to seed, by name. A fresh database gets its default tenant as `serve` would make it (with
 * PARLEY_BOOTSTRAP_KEY, or a new admin key printed once); another missing tenant is created with a new admin key,
 * printed once.
 */
async function seedTenant(db: Database, name: string): Promise<string> {
  const found = (await db.kysely
    .selectFrom('crm_tenants')
    .select('id')
    .where('name', '=', name)
    .execute()) as { id: string }[];
  if (found.length > 1) throw new CliError(`--tenant: several tenants are named ${name}`);
  if (found[0]) return found[0].id;
  const showKey = (key: string) =>
    process.stderr.write(
      `Created the tenant ${name}. Its admin API key, shown this once:\n\n    ${key}\n\n` +
        'Keep it: only its hash is stored. Send it as "Authorization: Bearer <key>".\n',
    );
  if (name === 'default') {
    const boot = await bootstrapTenant(db, process.env.PARLEY_BOOTSTRAP_KEY || undefined);
    if (boot.tenantId) {
      if (boot.generatedKey) showKey(boot.generatedKey);
      return boot.tenantId;
    }
  }
  const tenantId = await createTenant(db, name);
  showKey(await addApiKey(db, tenantId, 'admin', 'seed'));
  return tenantId;
}

/** The server's master key from its key file, or a new one written owner-only (its path returned as created). */
function loadOrCreateKey(path: string): { party: Party; created?: string } {
  if (existsSync(path)) {
    try {
      return { party: parseKeyFile(readFileSync(path, 'utf8')) };
    } catch (error) {
      throw new CliError(`--vendor-key ${path}: ${(error as Error).message}`);
    }
  }
  const party = Party.generate('parley-crm vendor key');
  writeText(path, serializeKeyFile(party), true);
  return { party, created: path };
}
