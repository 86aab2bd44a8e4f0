import { Command } from 'commander';
import { existsSync } from 'node:fs';
import {
  didDocument,
  didJlincToDidKey,
  didKeyToDidJlinc,
  parseKeyFile,
  Party,
  serializeKeyFile,
} from '@parley/protocol';
import { CliError, printJson, readText, writeText } from '../io.js';

function publicFacts(party: Party) {
  return {
    did: party.did,
    didKey: party.didKey,
    publicKey: party.publicKey,
    ...(party.label ? { label: party.label } : {}),
  };
}

export function keysCommand(): Command {
  const keys = new Command('keys').description(
    'Ed25519 identities: create and inspect key files (secrets are never printed)',
  );
  keys
    .command('generate')
    .description(
      'Create a new identity and write it to a key file readable only by you; print its public facts.',
    )
    .requiredOption('-o, --out <file>', 'where to write the key file')
    .option('--label <label>', 'a name to remember the identity by')
    .option('--force', 'overwrite an existing file')
    .action((options: { out: string; label?: string; force?: boolean }) => {
      if (existsSync(options.out) && !options.force)
        throw new CliError(`${options.out} exists; use --force to overwrite it`);
      const party = Party.generate(options.label);
      writeText(options.out, serializeKeyFile(party), true);
      printJson({ file: options.out, ...publicFacts(party) });
    });
  keys
    .command('pairwise')
    .description(
      'Derive the pairwise identity a key file uses for one relationship (the same label gives the same identity).',
    )
    .argument('<file>', 'the master key file')
    .argument('<relationship>', "a label for the relationship, e.g. the vendor's domain")
    .option('-o, --out <file>', 'also write the pairwise identity to this key file')
    .action((file: string, relationship: string, options: { out?: string }) => {
      const party = parseKeyFile(readText(file)).pairwise(relationship);
      if (options.out) writeText(options.out, serializeKeyFile(party), true);
      printJson(publicFacts(party));
    });
  keys
    .command('show')
    .description('Print the public facts of a key file after checking that they match its secret key.')
    .argument('<file>', 'the key file')
    .action((file: string) => printJson(publicFacts(parseKeyFile(readText(file)))));
  return keys;
}

export function didCommand(): Command {
  const did = new Command('did').description('did:key and did:jlinc identifiers and their DID documents');
  did
    .command('document')
    .description(
      'Print the W3C DID document of a did:key or did:jlinc (both are self-certifying: no resolver needed).',
    )
    .argument('<did>')
    .action((id: string) => {
      process.stdout.write(JSON.stringify(didDocument(id), null, 2) + '\n');
    });
  did
    .command('convert')
    .description('Print the other form of the same key: did:jlinc <-> did:key.')
    .argument('<did>')
    .action((id: string) => {
      process.stdout.write(
        (id.startsWith('did:jlinc:') ? didJlincToDidKey(id) : didKeyToDidJlinc(id)) + '\n',
      );
    });
  return did;
}
