import { Command } from 'commander';
import { findTerms, ROSTER, verifyAgreement, followNegotiation } from '@parley/protocol';
import { CliError, describeError, printJson, readJson } from '../io.js';

export function termsCommand(): Command {
  const terms = new Command('terms').description(
    'The roster of standard terms (IEEE 7012 MyTerms, #NoStalking, Parley)',
  );
  terms
    .command('list')
    .description('List the roster: code, title and what each permits.')
    .option('--json', 'print the full entries as JSON')
    .action((options: { json?: boolean }) => {
      if (options.json) return printJson(ROSTER);
      const width = Math.max(...ROSTER.map((t) => t.code.length));
      for (const t of ROSTER) process.stdout.write(`${t.code.padEnd(width)}  ${t.title}: ${t.summary}\n`);
    });
  terms
    .command('show')
    .description('Show one entry: id, version, URI, SHA-256 of its text, and the text.')
    .argument('<name>', 'code, alias or id, e.g. SD-BASE, "#NoStalking", "intent only"')
    .action((name: string) => {
      const t = findTerms(name);
      if (!t) throw new CliError(`"${name}" is not in the roster; see parley terms list`);
      const allowed = Object.entries(t.permissions)
        .filter(([, p]) => p !== 'no')
        .map(([k, p]) => (p === 'yes' ? k : `${k} (${p})`));
      process.stdout.write(
        `${t.code}: ${t.title}\n  id       ${t.id}\n  version  ${t.version}\n  uri      ${t.uri}\n  sha256   ${t.sha256}\n` +
          `  permits  ${allowed.join(', ')}\n${t.maxRetentionDays ? `  keep at most ${t.maxRetentionDays} days\n` : ''}\n${t.text}\n`,
      );
    });
  return terms;
}

export function agreementCommand(): Command {
  const agreement = new Command('agreement').description('Parley information sharing agreements');
  agreement
    .command('verify')
    .description(
      'Verify an agreement record (InformationSharingAgreement) or a negotiation (a JSON array of signed ' +
        'messages): every signature, every link, and the settled terms recomputed. Prints one JSON line.',
    )
    .argument('<file>')
    .action((file: string) => {
      try {
        const value = readJson(file);
        if (Array.isArray(value)) {
          const state = followNegotiation(value);
          printJson({
            valid: true,
            status: state.status,
            ...(state.status === 'AgreementAccepted' ? { id: state.agreement.id } : {}),
          });
        } else {
          const a = verifyAgreement(value);
          printJson({
            valid: true,
            status: 'AgreementAccepted',
            id: a.id,
            terms: a.terms.id,
            person: a.person,
            organisation: a.organisation,
          });
        }
      } catch (error) {
        printJson({ valid: false, error: describeError(error) });
        process.exitCode = 1;
      }
    });
  return agreement;
}
