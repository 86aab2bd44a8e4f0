import { Command } from 'commander';
import { Vault, VaultError } from '@parley/agent';
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
  return agent.addCommand(vault);
}
