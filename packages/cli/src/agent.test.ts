import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'parley-agent-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const parley = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BIN, 'agent', 'vault', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

test('agent vault: init, show, export, import elsewhere, change passphrase; a wrong passphrase is one clear line', () => {
  const vault = join(dir, 'ada.vault');
  const pass = { PARLEY_PASSPHRASE: 'a long and private passphrase' };
  assert.equal(parley(['init', '--vault', vault], pass).status, 0);
  const shown = parley(['show', '--vault', vault], pass);
  assert.equal(shown.status, 0, shown.err);
  assert.equal((JSON.parse(shown.out) as { keys: number }).keys, 0);

  const wrong = parley(['show', '--vault', vault], { PARLEY_PASSPHRASE: 'guess' });
  assert.equal(wrong.status, 1);
  assert.match(wrong.err, /^parley: passphrase: does not open this vault/);
  assert.doesNotMatch(wrong.err, /\n\s+at /, 'no stack trace');
  const none = parley(['show', '--vault', vault]);
  assert.equal(none.status, 1);
  assert.match(none.err, /passphrase: set PARLEY_PASSPHRASE or give --passphrase-file FILE/);

  const exported = join(dir, 'export.json');
  assert.equal(parley(['export', '--vault', vault, '--out', exported], pass).status, 0);
  assert.doesNotMatch(readFileSync(exported, 'utf8'), /passphrase/);
  const moved = join(dir, 'moved.vault');
  assert.equal(parley(['import', exported, '--vault', moved], pass).status, 0);
  assert.equal(
    parley(['passphrase', '--vault', moved], { ...pass, PARLEY_NEW_PASSPHRASE: 'another one' }).status,
    0,
  );
  assert.equal(parley(['show', '--vault', moved], { PARLEY_PASSPHRASE: 'another one' }).status, 0);
  assert.equal(parley(['show', '--vault', moved], pass).status, 1);
  assert.match(parley(['show', '--vault', join(dir, 'none.vault')], pass).err, /vault: no such file/);
});
