import { Command } from 'commander';
import { startAgent, Vault, VaultError } from '@parley/agent';
import { agentClientCommands } from './agent-client.js';
import { CliError, printJson, readText, writeText } from '../io.js';

interface VaultOptions {
  vault: string;
  passphraseFile?: string;
}

/** The passphrase from a file (first line) or PARLEY_PASSPHRASE; never from the command line, where ps shows it. */
function passphrase(
  options: { passphraseFile?: string },
  variable = 'PARLEY_PASSPHRASE',
  flag = '--passphrase-file',
): string {
  if (options.passphraseFile) return readText(options.passphraseFile).split(/\r?\n/)[0] ?? '';
  const value = process.env[variable];
  if (value) return value;
  throw new CliError(`passphrase: set ${variable} or give ${flag} FILE`);
}

async function withVaultErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof VaultError) throw new CliError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new CliError(`vault: no such file (create one with "parley agent vault init")`);
    throw error;
  }
}

const vaultOption = (c: Command) =>
  c
    .option(
      '--vault <file>',
      'the vault file (default: PARLEY_VAULT, else parley-agent.vault)',
      process.env.PARLEY_VAULT ?? 'parley-agent.vault',
    )
    .option('--passphrase-file <file>', 'read the passphrase from this file (default: PARLEY_PASSPHRASE)');

export function agentCommand(): Command {
  const agent = new Command('agent').description(
    "The person's agent (VRM): her vault, relationships and policies",
  );
  const vault = new Command('vault').description(
    'The vault: keys, personal data, agreements, event chains and receipts in one file, encrypted under a passphrase ' +
      '(scrypt, AES-256-GCM). The passphrase comes from PARLEY_PASSPHRASE or --passphrase-file.',
  );
  vaultOption(vault.command('init').description('Create a new, empty vault')).action(
    async (options: VaultOptions) => {
      await withVaultErrors(async () => {
        const v = await Vault.create(options.vault, passphrase(options));
        printJson({ created: v.path });
        v.close();
      });
    },
  );
  vaultOption(
    vault.command('show').description('What the vault holds, by section (counts, never secrets)'),
  ).action(async (options: VaultOptions) => {
    await withVaultErrors(async () => {
      const v = await Vault.open(options.vault, passphrase(options));
      const c = v.contents;
      v.close();
      printJson({
        vault: options.vault,
        createdAt: c.createdAt,
        keys: Object.keys(c.keys).length,
        personalData: Object.keys(c.personalData),
        agreements: Object.keys(c.agreements).length,
        chains: Object.keys(c.chains).length,
        receipts: Object.keys(c.receipts).length,
      });
    });
  });
  vaultOption(
    vault.command('export').description('Write the whole vault, still encrypted, for another agent provider'),
  )
    .requiredOption('--out <file>', 'where to write the export')
    .action(async (options: VaultOptions & { out: string }) => {
      await withVaultErrors(async () => {
        const v = await Vault.open(options.vault, passphrase(options));
        writeText(options.out, v.export(), true);
        v.close();
        printJson({ exported: options.out });
      });
    });
  vaultOption(
    vault
      .command('import')
      .description('Make a vault from an export (opened with its passphrase to check it)'),
  )
    .argument('<file>', 'the exported vault')
    .action(async (file: string, options: VaultOptions) => {
      await withVaultErrors(async () => {
        const v = await Vault.import(readText(file), passphrase(options), options.vault);
        v.close();
        printJson({ imported: options.vault });
      });
    });
  vaultOption(
    vault
      .command('passphrase')
      .description('Change the passphrase (the new one from PARLEY_NEW_PASSPHRASE or --new-passphrase-file)'),
  )
    .option('--new-passphrase-file <file>', 'read the new passphrase from this file')
    .action(async (options: VaultOptions & { newPassphraseFile?: string }) => {
      await withVaultErrors(async () => {
        const v = await Vault.open(options.vault, passphrase(options));
        const next = passphrase(
          { passphraseFile: options.newPassphraseFile },
          'PARLEY_NEW_PASSPHRASE',
          '--new-passphrase-file',
        );
        await v.changePassphrase(next);
        v.close();
        printJson({ changed: options.vault });
      });
    });
  agent.addCommand(vault);
  vaultOption(
    agent
      .command('serve')
      .description(
        'Open the vault and serve the agent: the HTTP API (/api/v1, bearer token) and the dashboard (/). ' +
          'The token is PARLEY_AGENT_TOKEN, or a new one printed at start with the dashboard URL.',
      ),
  )
    .option('--port <n>', 'port to listen on', process.env.PARLEY_AGENT_PORT ?? '7070')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--create', 'create the vault if the file does not exist')
    .action(async (options: VaultOptions & { port: string; host: string; create?: boolean }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError('--port: expected 0 to 65535');
      const running = await withVaultErrors(async () =>
        startAgent({
          vaultPath: options.vault,
          passphrase: passphrase(options),
          create: options.create ?? false,
          host: options.host,
          port,
          ...(await dashboard()),
        }),
      );
      process.stdout.write(`agent listening on ${running.url}\n`);
      const given = process.env.PARLEY_AGENT_TOKEN !== undefined;
      process.stdout.write(
        given
          ? `dashboard: ${running.url}/#token=<your PARLEY_AGENT_TOKEN>\n`
          : `dashboard: ${running.url}/#token=${running.token}\n` +
              `for the CLI: export PARLEY_AGENT_TOKEN=${running.token} PARLEY_AGENT_URL=${running.url}\n`,
      );
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  agentClientCommands(agent);
  return agent;
}

/** The built dashboard, when packages/web is there and built. */
async function dashboard(): Promise<{ dashboardDir?: string }> {
  try {
    const web = (await import('@parley/web' as string)) as { agentDashboardDir?: string };
    return web.agentDashboardDir ? { dashboardDir: web.agentDashboardDir } : {};
  } catch {
    return {};
  }
}
