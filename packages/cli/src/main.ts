import { Command, CommanderError } from 'commander';
import { agreementCommand, termsCommand } from './commands/terms.js';
import { didCommand, keysCommand } from './commands/keys.js';
import { jlincCommand } from './commands/jlinc.js';
import { receiptCommand } from './commands/receipt.js';
import { ledgerCommand } from './commands/ledger.js';
import { crmCommand } from './commands/crm.js';
import { agentCommand } from './commands/agent.js';
import { walkthroughCommand } from './commands/walkthrough.js';
import { demoCommand, upCommand } from './commands/demo.js';
import { analyticsCommand } from './commands/analytics.js';
import { describeError } from './io.js';

export function program(): Command {
  return new Command('parley')
    .description(
      "Parley: a person's agent and vendors' CRMs, joined by signed information sharing agreements. " +
        'Every command has --help.',
    )
    .version('0.1.0')
    .addCommand(upCommand())
    .addCommand(demoCommand())
    .addCommand(walkthroughCommand())
    .addCommand(jlincCommand())
    .addCommand(receiptCommand())
    .addCommand(ledgerCommand())
    .addCommand(crmCommand())
    .addCommand(agentCommand())
    .addCommand(analyticsCommand())
    .addCommand(agreementCommand())
    .addCommand(termsCommand())
    .addCommand(keysCommand())
    .addCommand(didCommand());
}

/** Runs the CLI and returns the exit status; errors print as one line on stderr, never as a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const cli = program();
  const configure = (command: Command): void => {
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
    command.commands.forEach(configure);
  };
  configure(cli);
  try {
    await cli.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`parley: ${describeError(error)}\n`);
    return 1;
  }
}
