import { Command } from 'commander';
import { bootstrapTenant, buildCrmServer, CRM_MIGRATIONS } from '@parley/crm';
import { migrate, openDatabase } from '@parley/store';
import { CliError } from '../io.js';

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
        'it, the first start prints a newly made key once. Send it as "Authorization: Bearer KEY".',
    )
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--db <file>', 'SQLite database file (ignored when DATABASE_URL is set)', 'parley.db')
    .action(async (options: { port: string; host: string; db: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError('--port: expected a port number');
      const db = openDatabase({ url: process.env.DATABASE_URL || options.db });
      await migrate(db, CRM_MIGRATIONS);
      const boot = await bootstrapTenant(db, process.env.PARLEY_BOOTSTRAP_KEY || undefined);
      const app = await buildCrmServer({ db, logger: { level: process.env.LOG_LEVEL ?? 'info' } });
      const address = await app.listen({ host: options.host, port });
      process.stderr.write(`CRM on ${address} (${db.kind} ${db.location})\n`);
      if (boot.generatedKey) {
        process.stderr.write(
          `Created the default tenant. Its admin API key, shown this once:\n\n    ${boot.generatedKey}\n\n` +
            'Keep it: only its hash is stored. Send it as "Authorization: Bearer <key>".\n',
        );
      } else if (boot.created) {
        process.stderr.write('Created the default tenant with PARLEY_BOOTSTRAP_KEY as its admin key.\n');
      }
      const stop = async () => {
        await app.close();
        await db.close();
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
  return crm;
}
