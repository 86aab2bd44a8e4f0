import { Command } from 'commander';
import {
  detectJlincType,
  EventChain,
  JlincError,
  validateAcknowledgedBisaEvent,
  validateAcknowledgedSisaEvent,
  validateBisa,
  validateBisaEvent,
  validateJlincMessage,
  validateSisa,
  validateSisaEvent,
  type ValidatedBisa,
  type ValidatedEvent,
  type ValidatedSisa,
} from '@parley/protocol';
import { CliError, describeError, printJson, readJson } from '../io.js';

export function jlincCommand(): Command {
  const jlinc = new Command('jlinc').description(
    'JLINC v7 messages: validate offerings, SISAs, events and acknowledgements',
  );
  jlinc
    .command('validate')
    .description(
      'Validate one JLINC v7 message (SISA or BISA offering, SISA or BISA, event or acknowledged event; the type is ' +
        'detected from its shape). Prints one JSON line: {"valid":true,"type":"..."} or {"valid":false,"error":"..."}; ' +
        'exit status 0 when valid, 1 when not.',
    )
    .argument('<files...>', 'the message file (with --chain: the files of one SISA or BISA, in order)')
    .option(
      '--chain',
      'validate a sequence of events of one agreement, in order: each event valid, the first with previousId null, ' +
        'each next one naming the previous eventId, no replays or forks. A SISA (or BISA) file may come first, to ' +
        'check that every event belongs to it and is signed by its party.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  parley jlinc validate offering.json\n  parley jlinc validate --chain sisa.json event-1.json event-2.json',
    )
    .action((files: string[], options: { chain?: boolean }) => {
      try {
        if (!options.chain) {
          if (files.length !== 1)
            throw new JlincError('files', 'give one file, or use --chain for a sequence');
          printJson({ valid: true, type: validateJlincMessage(readJson(files[0] as string)).type });
        } else {
          validateChain(files);
          printJson({ valid: true, type: 'chain' });
        }
      } catch (error) {
        printJson({ valid: false, error: describeError(error) });
        process.exitCode = 1;
      }
    });
  return jlinc;
}

/** Validates the files of one agreement's event chain in order; throws naming the file that failed. */
function validateChain(files: string[]): void {
  const chain = new EventChain();
  let sisa: ValidatedSisa | undefined;
  let bisa: ValidatedBisa | undefined;
  let agreementId: string | undefined;
  files.forEach((file, index) => {
    try {
      const message = readJson(file);
      const type = detectJlincType(message);
      let event: ValidatedEvent;
      switch (type) {
        case 'sisa':
        case 'bisa':
          if (index !== 0)
            throw new JlincError('message', `a ${type.toUpperCase()} may only come first in a chain`);
          if (type === 'sisa') sisa = validateSisa(message);
          else bisa = validateBisa(message);
          return;
        case 'sisaEvent':
          event = validateSisaEvent(message, { sisa });
          break;
        case 'acknowledgedSisaEvent':
          event = validateAcknowledgedSisaEvent(message, { sisa });
          break;
        case 'bisaEvent':
          event = validateBisaEvent(message, { bisa });
          break;
        case 'acknowledgedBisaEvent':
          event = validateAcknowledgedBisaEvent(message, { bisa });
          break;
        default:
          throw new JlincError('message', `a ${type} is not an event; a chain holds events of one agreement`);
      }
      agreementId ??= event.agreementId;
      if (event.agreementId !== agreementId) {
        throw new JlincError(
          'audit',
          `belongs to agreement ${event.agreementId}, not ${agreementId} like the events before it`,
        );
      }
      chain.append(event);
    } catch (error) {
      throw new CliError(`${file} (item ${index + 1} of ${files.length}): ${describeError(error)}`);
    }
  });
  if (agreementId === undefined) throw new JlincError('files', 'the chain holds no events');
}
