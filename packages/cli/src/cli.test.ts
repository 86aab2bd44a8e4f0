import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));

function parley(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('walkthrough runs every step and writes messages the other commands accept', () => {
  const r = parley('walkthrough', '--out', dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Done: \d+ steps/);
  const expectType = (file: string, type: string) => {
    const v = parley('jlinc', 'validate', join(dir, file));
    assert.equal(v.code, 0, v.out);
    assert.deepEqual(JSON.parse(v.out), { valid: true, type });
  };
  expectType('1-sisa-offering.json', 'sisaOffering');
  expectType('2-sisa.json', 'sisa');
  expectType('8-event-data.json', 'acknowledgedSisaEvent');
  const chain = [
    '2-sisa.json',
    '8-event-data.json',
    '9-event-address.json',
    '10-event-permission.json',
    '12-event-termination.json',
  ];
  const ok = parley('jlinc', 'validate', '--chain', ...chain.map((f) => join(dir, f)));
  assert.equal(ok.code, 0, ok.out);
  assert.deepEqual(JSON.parse(ok.out), { valid: true, type: 'chain' });
  const receipt = parley('receipt', 'verify', join(dir, '7-consent-receipt.jws'));
  assert.equal(receipt.code, 0, receipt.out);
  assert.equal(JSON.parse(receipt.out).valid, true);
  assert.equal(parley('agreement', 'verify', join(dir, '6-agreement.json')).code, 0);
  // The ledger receipt verifies with the log key the walkthrough printed, and not with another.
  const vkey = /--vkey '([^']+)'/.exec(r.out)?.[1] as string;
  const ledger = parley(
    'ledger',
    'verify-receipt',
    join(dir, '14-ledger-receipt-event.json'),
    '--vkey',
    vkey,
  );
  assert.equal(ledger.code, 0, ledger.out);
  assert.equal(JSON.parse(ledger.out).index, 1);
  const wrong = vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
  assert.equal(
    parley('ledger', 'verify-receipt', join(dir, '14-ledger-receipt-event.json'), '--vkey', wrong).code,
    1,
  );
  // The key file is owner-only.
  const keyFile = readdirSync(dir).find((f) => f.endsWith('.key.json')) as string;
  assert.equal(statSync(join(dir, keyFile)).mode & 0o077, 0);
});

test('invalid input: one JSON line naming the failure, exit 1', () => {
  const event = JSON.parse(readFileSync(join(dir, '8-event-data.json'), 'utf8'));
  event.audit.createdAt = '2099-01-01T00:00:00.000Z';
  writeFileSync(join(dir, 'future.json'), JSON.stringify(event));
  const r = parley('jlinc', 'validate', join(dir, 'future.json'));
  assert.equal(r.code, 1);
  const line = JSON.parse(r.out);
  assert.equal(line.valid, false);
  assert.match(line.error, /audit\.createdAt/);
  assert.deepEqual(Object.keys(line), ['valid', 'error']);

  writeFileSync(join(dir, 'dup.json'), '{"@context":1,"@context":2}');
  assert.match(JSON.parse(parley('jlinc', 'validate', join(dir, 'dup.json')).out).error, /duplicate/);
  assert.equal(parley('jlinc', 'validate', join(dir, 'missing.json')).code, 1);

  const outOfOrder = parley(
    'jlinc',
    'validate',
    '--chain',
    join(dir, '9-event-address.json'),
    join(dir, '8-event-data.json'),
  );
  assert.equal(outOfOrder.code, 1);
  assert.match(JSON.parse(outOfOrder.out).error, /9-event-address\.json.*ChainError/);
  const replay = parley(
    'jlinc',
    'validate',
    '--chain',
    join(dir, '8-event-data.json'),
    join(dir, '8-event-data.json'),
  );
  assert.match(JSON.parse(replay.out).error, /replay/);

  const jws = readFileSync(join(dir, '7-consent-receipt.jws'), 'utf8').trim();
  writeFileSync(join(dir, 'bad.jws'), jws.slice(0, -3) + (jws.endsWith('AAA') ? 'BBB' : 'AAA'));
  const bad = parley('receipt', 'verify', join(dir, 'bad.jws'));
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.out).valid, false);
});

test('every command has --help; keys never print secrets', () => {
  for (const args of [
    [],
    ['jlinc'],
    ['jlinc', 'validate'],
    ['receipt', 'verify'],
    ['agreement', 'verify'],
    ['terms', 'show'],
    ['keys', 'generate'],
    ['did', 'document'],
    ['walkthrough'],
  ]) {
    const r = parley(...args, '--help');
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.out, /Usage: parley/);
  }
  const file = join(dir, 'me.key.json');
  const r = parley('keys', 'generate', '--out', file, '--label', 'me');
  assert.equal(r.code, 0, r.err);
  const secret = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  for (const value of [secret.secretKey, secret.jlincSecret])
    assert.ok(value && !r.out.includes(value) && !r.err.includes(value));
  assert.equal(JSON.parse(parley('keys', 'show', file).out).did, secret.did);
  assert.equal(parley('keys', 'generate', '--out', file).code, 1, 'refuses to overwrite without --force');
  assert.equal(parley('no-such-command').code, 2);
});
