import { existsSync } from 'node:fs';
import { openDatabase } from '@parley/store';
import {
  buildLedgerServer,
  Ed25519NoteSigner,
  MerkleLog,
  noteCheckpointSigner,
  PostgresLogStorage,
  SqliteLogStorage,
  SqlWitnessStateStore,
  Witness,
} from '@parley/ledger';
import { parseKeyFile, Party, serializeKeyFile } from '@parley/protocol';
import { readText, writeText } from './io.js';

export interface LedgerServeOptions {
  db: string;
  origin: string;
  key: string;
  host: string;
  port: string;
}

/** Opens (or creates) the log and its signing key, and serves it with a witness for its own checkpoints. */
export async function startLedgerServer(options: LedgerServeOptions): Promise<void> {
  let party: Party;
  if (existsSync(options.key)) {
    party = parseKeyFile(readText(options.key));
  } else {
    party = Party.generate(`ledger ${options.origin}`);
    writeText(options.key, serializeKeyFile(party), true);
    process.stderr.write(`created the log key ${options.key} (owner-only)\n`);
  }
  const signer = new Ed25519NoteSigner(options.origin, party.key);
  const db = openDatabase({ url: options.db });
  const storage = db.kind === 'sqlite' ? new SqliteLogStorage(db) : new PostgresLogStorage(db);
  await storage.init();
  const log = await MerkleLog.open(storage, noteCheckpointSigner(options.origin, signer));
  const witnessState = new SqlWitnessStateStore(db);
  await witnessState.init();
  const witness = new Witness({
    name: `${options.origin}/witness`,
    key: party.key.derive('witness'),
    logs: { [options.origin]: signer.verifier },
    store: witnessState,
  });
  const appendToken = process.env.PARLEY_LEDGER_TOKEN;
  const app = buildLedgerServer({
    log,
    logVkey: signer.vkey,
    witness: { witness, vkey: witness.vkey },
    ...(appendToken ? { appendToken } : {}),
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
  });
  const address = await app.listen({ host: options.host, port: Number(options.port) });
  process.stderr.write(
    `ledger ${options.origin} on ${address} (${db.kind} ${db.location}, size ${log.size})\n` +
      `log key (vkey): ${signer.vkey}\n` +
      (appendToken
        ? 'appends: POST /entries with the bearer token in PARLEY_LEDGER_TOKEN\n'
        : 'appends: off (set PARLEY_LEDGER_TOKEN)\n'),
  );
  const stop = async () => {
    await app.close();
    await log.close();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
