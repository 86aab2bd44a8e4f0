import { Command } from 'commander';
import { createReadStream, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CheckpointTracker,
  CompactRange,
  Ed25519NoteVerifier,
  leafHash,
  openCheckpoint,
  parseVkey,
  verifyConsistency,
  verifyLedgerReceipt,
  type NoteVerifier,
} from '@parley/ledger';
import { parseStrictJson } from '@parley/protocol';
import { CliError, describeError, printJson, readJson, readText, writeJson } from '../io.js';

/** The root of the leaves in a file of hex lines, streamed through a compact range (no leaf kept in memory). */
export async function rootOfHexLines(path: string): Promise<Buffer> {
  const range = new CompactRange();
  let pending = '';
  let line = 0;
  const take = (text: string) => {
    line += 1;
    if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
      throw new CliError(
        `${path}:${line}: expected an even number of hex digits (an empty line is an empty leaf)`,
      );
    }
    range.append(leafHash(Buffer.from(text, 'hex')), () => undefined);
  };
  try {
    for await (const chunk of createReadStream(path, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
      pending += chunk as string;
      let at: number;
      while ((at = pending.indexOf('\n')) >= 0) {
        take(pending.slice(0, at));
        pending = pending.slice(at + 1);
      }
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (pending.length > 0)
    throw new CliError(`${path}:${line + 1}: the last line does not end with a newline`);
  return range.root();
}

function verifierFromVkey(vkey: string): NoteVerifier {
  const parsed = parseVkey(vkey);
  if (parsed.type !== 0x01)
    throw new CliError('--vkey: only Ed25519 log keys (type 0x01) are supported here');
  return Ed25519NoteVerifier.fromVkey(vkey);
}

interface AuditState {
  origin: string;
  vkey: string;
  /** Every checkpoint this auditor has accepted, oldest first (size, base64 root, note). */
  seen: { size: number; root: string; note: string; at: string }[];
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok) throw new CliError(`GET ${url}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/**
 * One audit step: fetch the checkpoint, check its signature and its consistency with the last one accepted.
 * When consistency fails, look back through earlier checkpoints for the last size the log is still consistent
 * with, so the report says where history was rewritten.
 */
async function auditOnce(
  base: string,
  state: AuditState,
  verifier: NoteVerifier,
  print: (s: string) => void,
): Promise<void> {
  const note = await fetchText(`${base}/checkpoint`);
  const { checkpoint } = openCheckpoint(note, verifier);
  if (checkpoint.origin !== state.origin)
    throw new CliError(`checkpoint origin "${checkpoint.origin}" is not "${state.origin}"`);
  const root = Buffer.from(checkpoint.root).toString('base64');
  const last = state.seen[state.seen.length - 1];
  const tracker = new CheckpointTracker(state.origin, verifier, last?.note);
  let proof: Buffer[] = [];
  if (last && checkpoint.size > last.size && last.size > 0) {
    const body = parseStrictJson(
      await fetchText(`${base}/proof/consistency?from=${last.size}&to=${checkpoint.size}`),
    ) as { proof?: unknown };
    if (!Array.isArray(body.proof)) throw new CliError('the consistency proof response has no proof array');
    proof = body.proof.map((p) => Buffer.from(String(p), 'base64'));
  }
  try {
    tracker.update(note, proof);
  } catch (error) {
    const good: number[] = [];
    for (const earlier of state.seen) {
      if (earlier.size === 0 || earlier.size >= checkpoint.size) continue;
      try {
        const body = parseStrictJson(
          await fetchText(`${base}/proof/consistency?from=${earlier.size}&to=${checkpoint.size}`),
        ) as { proof: string[] };
        verifyConsistency(
          earlier.size,
          checkpoint.size,
          body.proof.map((p) => Buffer.from(p, 'base64')),
          Buffer.from(earlier.root, 'base64'),
          checkpoint.root,
        );
        good.push(earlier.size);
      } catch {
        break;
      }
    }
    const where = good.length
      ? `still consistent with the checkpoint of size ${good[good.length - 1]}, not with size ${last?.size}: history was rewritten between them`
      : `not consistent with any checkpoint seen before (first seen: size ${state.seen[0]?.size})`;
    throw new CliError(`BROKEN at size ${checkpoint.size}: ${describeError(error)}; ${where}`);
  }
  if (!last || checkpoint.size !== last.size) {
    state.seen.push({ size: checkpoint.size, root, note, at: new Date().toISOString() });
    print(
      last
        ? `size ${last.size} -> ${checkpoint.size}: consistent`
        : `size ${checkpoint.size}: first checkpoint, signature verified`,
    );
  } else {
    print(`size ${checkpoint.size}: unchanged`);
  }
}

export function ledgerCommand(): Command {
  const ledger = new Command('ledger').description(
    'The verifiable ledger: roots, receipts, audits and the log server',
  );

  ledger
    .command('root')
    .description(
      'Print the RFC 6962 Merkle root (hex) of the leaves in FILE: one leaf a line, hex-encoded, an empty line ' +
        'being an empty leaf, every line ended by a newline. An empty file is the empty tree.',
    )
    .argument('<file>')
    .action(async (file: string) => {
      process.stdout.write((await rootOfHexLines(file)).toString('hex') + '\n');
    });

  ledger
    .command('verify-receipt')
    .description(
      'Check a ledger receipt {record, index, proof, checkpoint} offline: the checkpoint signed by the log key, ' +
        'the record a canonical audit record, the inclusion proof from its leaf to the signed root. ' +
        'Prints one JSON line; exit status 0 when valid, 1 when not.',
    )
    .argument('<file>')
    .option(
      '--vkey <vkey>',
      'the log\'s public key (note verifier key "name+id+key"); default $PARLEY_LEDGER_VKEY',
    )
    .action((file: string, options: { vkey?: string }) => {
      try {
        const vkey = options.vkey ?? process.env.PARLEY_LEDGER_VKEY;
        if (!vkey)
          throw new CliError('--vkey: the log key is required (a receipt cannot vouch for its own key)');
        const verified = verifyLedgerReceipt(readJson(file), verifierFromVkey(vkey));
        printJson({
          valid: true,
          origin: verified.checkpoint.origin,
          index: verified.index,
          treeSize: verified.checkpoint.size,
        });
      } catch (error) {
        printJson({ valid: false, error: describeError(error) });
        process.exitCode = 1;
      }
    });

  ledger
    .command('audit')
    .description(
      'Audit a log: fetch its checkpoint over time, verify each signature and prove each one consistent with the ' +
        'last accepted (kept in --state), and say where it broke if it did. Exit status 1 on a broken log.',
    )
    .argument('<url>', 'the log server, e.g. http://127.0.0.1:8080')
    .option(
      '--vkey <vkey>',
      'the log key to trust; default: the key in --state, else the one the log serves (trust on first use)',
    )
    .option('--state <file>', 'where the audit keeps the checkpoints it accepted', 'ledger-audit.json')
    .option('--count <n>', 'how many checks to make', '1')
    .option('--interval <seconds>', 'seconds between checks', '10')
    .action(
      async (url: string, options: { vkey?: string; state: string; count: string; interval: string }) => {
        const base = url.replace(/\/+$/, '');
        const count = Number(options.count);
        const interval = Number(options.interval);
        if (!Number.isInteger(count) || count < 1)
          throw new CliError('--count: expected a whole number >= 1');
        if (!Number.isFinite(interval) || interval < 0)
          throw new CliError('--interval: expected seconds >= 0');
        let state: AuditState;
        if (existsSync(options.state)) {
          state = parseStrictJson(readText(options.state)) as AuditState;
          if (options.vkey && options.vkey !== state.vkey)
            throw new CliError(`--vkey differs from the key recorded in ${options.state}`);
        } else {
          let vkey = options.vkey;
          if (!vkey) {
            const info = parseStrictJson(await fetchText(`${base}/`)) as { logVkey?: string };
            if (typeof info.logVkey !== 'string')
              throw new CliError(`${base}/ does not say its log key; pass --vkey`);
            vkey = info.logVkey;
            process.stderr.write(`trusting the log key the server gave on first use: ${vkey}\n`);
          }
          state = { origin: parseVkey(vkey).name, vkey, seen: [] };
        }
        const verifier = verifierFromVkey(state.vkey);
        for (let i = 0; i < count; i++) {
          if (i > 0) await sleep(interval * 1000);
          try {
            await auditOnce(base, state, verifier, (line) =>
              process.stdout.write(`${new Date().toISOString()} ${line}\n`),
            );
          } finally {
            writeJson(options.state, state);
          }
        }
      },
    );

  ledger
    .command('serve')
    .description(
      'Run a log server on the project database (SQLite file by default, PostgreSQL when DATABASE_URL is set): ' +
        'checkpoints, proofs, leaves, receipts, appends (with $PARLEY_LEDGER_TOKEN) and a witness.',
    )
    .option('--db <url>', 'database URL or SQLite file', process.env.DATABASE_URL ?? 'parley-ledger.db')
    .option('--origin <name>', 'the log origin (its key name)', 'ledger.parley.local')
    .option('--key <file>', 'the log signing key (created if missing)', 'ledger-key.json')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8470')
    .action(async (options: { db: string; origin: string; key: string; host: string; port: string }) => {
      const { startLedgerServer } = await import('../ledger-server.js');
      await startLedgerServer(options);
    });
  return ledger;
}
