import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Ed25519NoteSigner,
  MerkleLog,
  noteCheckpointSigner,
  openLogStorage,
  buildLedgerServer,
} from '@parley/ledger';
import { SigningKey } from '@parley/protocol';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const VECTORS = fileURLToPath(new URL('../../ledger/test/vectors/merkle.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'parley-ledger-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function parley(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function parleyAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

test('ledger root: the reference tree at every size, the empty file, and malformed files', () => {
  const vectors = JSON.parse(readFileSync(VECTORS, 'utf8'));
  const leaves: string[] = vectors.referenceTree.leafInputsHex;
  for (const [size, root] of Object.entries(
    vectors.referenceTree.rootHashesBySize as Record<string, string>,
  )) {
    const file = join(dir, `leaves-${size}.txt`);
    writeFileSync(
      file,
      leaves
        .slice(0, Number(size))
        .map((l) => l + '\n')
        .join(''),
    );
    const r = parley('ledger', 'root', file);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, root + '\n', `size ${size}`);
  }
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, '00\nabc\n');
  assert.match(parley('ledger', 'root', bad).err, /bad\.txt:2/);
  writeFileSync(bad, '00\n01');
  assert.match(parley('ledger', 'root', bad).err, /does not end with a newline/);
  writeFileSync(bad, '00\r\n');
  assert.equal(parley('ledger', 'root', bad).code, 1);
});

async function serve(name: string, key: SigningKey, records: object[]) {
  const origin = 'audit.test.example';
  const signer = new Ed25519NoteSigner(origin, key);
  const log = await MerkleLog.open(
    await openLogStorage({ url: join(dir, `${name}.db`) }),
    noteCheckpointSigner(origin, signer),
  );
  if (records.length) await log.append(records);
  const app = buildLedgerServer({ log, logVkey: signer.vkey });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, log, vkey: signer.vkey, close: async () => (await app.close(), await log.close()) };
}

const rec = (i: number) => ({ type: 'agreement', id: `a${i}` });

test('ledger verify-receipt and audit: consistent growth passes; a rewritten history is caught and located', async () => {
  const key = SigningKey.generate();
  const honest = await serve('honest', key, [rec(0), rec(1), rec(2)]);
  const state = join(dir, 'audit.json');
  let r = await parleyAsync('ledger', 'audit', honest.url, '--state', state, '--vkey', honest.vkey);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /size 3: first checkpoint/);
  await honest.log.append([rec(3), rec(4)]);
  r = await parleyAsync('ledger', 'audit', honest.url, '--state', state);
  assert.match(r.out, /size 3 -> 5: consistent/);
  await honest.log.append([rec(5)]);
  r = await parleyAsync('ledger', 'audit', honest.url, '--state', state);
  assert.match(r.out, /size 5 -> 6: consistent/);

  const receiptFile = join(dir, 'receipt.json');
  writeFileSync(receiptFile, JSON.stringify(await honest.log.receipt(4)));
  const ok = parley('ledger', 'verify-receipt', receiptFile, '--vkey', honest.vkey);
  assert.deepEqual(JSON.parse(ok.out), { valid: true, origin: 'audit.test.example', index: 4, treeSize: 6 });
  const receipt = JSON.parse(readFileSync(receiptFile, 'utf8'));
  writeFileSync(receiptFile, JSON.stringify({ ...receipt, record: rec(99) }));
  const forged = parley('ledger', 'verify-receipt', receiptFile, '--vkey', honest.vkey);
  assert.equal(forged.code, 1);
  assert.equal(JSON.parse(forged.out).valid, false);
  const otherKey = new Ed25519NoteSigner('audit.test.example', SigningKey.generate()).vkey;
  writeFileSync(receiptFile, JSON.stringify(receipt));
  assert.equal(parley('ledger', 'verify-receipt', receiptFile, '--vkey', otherKey).code, 1);
  await honest.close();

  // The operator rewrites history after leaf 3 (same key, same size 7 and beyond): the audit says where.
  const forger = await serve('forked', key, [
    rec(0),
    rec(1),
    rec(2),
    rec(3),
    rec(4),
    rec(55),
    rec(6),
    rec(7),
  ]);
  r = await parleyAsync('ledger', 'audit', forger.url, '--state', state);
  assert.equal(r.code, 1);
  assert.match(r.err, /BROKEN at size 8/);
  assert.match(r.err, /consistent with the checkpoint of size 5, not with size 6/);
  await forger.close();

  // A rewind is refused too.
  const rewound = await serve('rewound', key, [rec(0), rec(1)]);
  r = await parleyAsync('ledger', 'audit', rewound.url, '--state', state);
  assert.equal(r.code, 1);
  assert.match(r.err, /rewind/);
  await rewound.close();
});

test('ledger serve: a real server process on SQLite with its key file, appends with the token, and its witness', async () => {
  const db = join(dir, 'served.db');
  const key = join(dir, 'served-key.json');
  const child = spawn(
    process.execPath,
    [BIN, 'ledger', 'serve', '--db', db, '--key', key, '--port', '0', '--origin', 'served.test.example'],
    {
      env: { ...process.env, PARLEY_LEDGER_TOKEN: 'tok', LOG_LEVEL: 'warn' },
    },
  );
  try {
    let err = '';
    const address = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', () => reject(new Error(err)));
    });
    const info = (await (await fetch(address + '/')).json()) as { logVkey: string; witnessVkey: string };
    assert.match(info.logVkey, /^served\.test\.example\+[0-9a-f]{8}\+/);
    const appended = await fetch(address + '/entries', {
      method: 'POST',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
      body: JSON.stringify({ records: [rec(1), rec(2)] }),
    });
    assert.equal(appended.status, 201);
    const note = await (await fetch(address + '/checkpoint')).text();
    const cosigned = await fetch(address + '/add-checkpoint', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `old 0\n\n${note}`,
    });
    assert.equal(cosigned.status, 200);
    assert.match(await cosigned.text(), /^\u2014 served\.test\.example\/witness /);
    // The witness state is in the database: replaying the same request from size 0 is now stale.
    const stale = await fetch(address + '/add-checkpoint', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `old 0\n\n${note}`,
    });
    assert.equal(stale.status, 409);
    const audit = await parleyAsync('ledger', 'audit', address, '--state', join(dir, 'served-audit.json'));
    assert.equal(audit.code, 0, audit.err);
  } finally {
    child.kill('SIGTERM');
  }
});
