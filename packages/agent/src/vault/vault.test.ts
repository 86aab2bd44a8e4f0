import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { parseSealed, seal, unseal, VaultError } from './envelope.js';
import { Vault } from './vault.js';

// Small scrypt parameters keep the tests fast; the default (N = 2^17) is what a person's vault gets.
const FAST = { N: 2 ** 10, r: 8, p: 1 };

const dir = mkdtempSync(join(tmpdir(), 'parley-vault-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a vault keeps its contents encrypted at rest and opens only with its passphrase', async () => {
  const path = join(dir, 'ada.vault');
  const vault = await Vault.create(path, 'correct horse battery staple', FAST);
  await vault.update((c) => {
    c.personalData.address = { street: '1 Example Road', city: 'Springfield' };
    c.keys.master = 'c2VjcmV0LW1hc3Rlci1rZXk';
  });
  const onDisk = readFileSync(path, 'utf8');
  assert.doesNotMatch(onDisk, /Example Road|c2VjcmV0/, 'nothing readable on disk');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(parseSealed(JSON.parse(onDisk)).cipher.name, 'aes-256-gcm');

  const again = await Vault.open(path, 'correct horse battery staple');
  assert.deepEqual(again.contents.personalData.address, { street: '1 Example Road', city: 'Springfield' });
  await assert.rejects(Vault.open(path, 'Correct horse battery staple'), (e: unknown) => {
    assert.ok(e instanceof VaultError);
    assert.equal(e.code, 'WRONG_PASSPHRASE');
    assert.match(e.message, /^passphrase: does not open this vault/);
    return true;
  });
  assert.doesNotMatch(inspect(again), /Example Road|c2VjcmV0/);
  assert.doesNotMatch(JSON.stringify({ again }), /Example Road|c2VjcmV0/);
  await assert.rejects(Vault.create(path, 'x', FAST), /exists already/);
});

test('a vault moves whole to another provider: export, import with the passphrase, and a new passphrase', async () => {
  const vault = await Vault.create(join(dir, 'move.vault'), 'first passphrase', FAST);
  await vault.update((c) => {
    c.agreements.a1 = { vendor: 'did:example:telco', terms: '2P-30D' };
    c.receipts.r1 = 'eyJhbGciOiJFZERTQSJ9.e30.sig';
  });
  const exported = vault.export();
  const moved = await Vault.import(exported, 'first passphrase', join(dir, 'moved.vault'));
  assert.deepEqual(moved.contents, vault.contents);
  await assert.rejects(Vault.import(exported, 'wrong', join(dir, 'nope.vault')), /passphrase/);

  await moved.changePassphrase('second passphrase', FAST);
  await assert.rejects(Vault.open(moved.path, 'first passphrase'), /passphrase/);
  assert.deepEqual((await Vault.open(moved.path, 'second passphrase')).contents, vault.contents);
});

test('tampering with the data or the header is refused; bad files name the field', async () => {
  const sealed = await seal(Buffer.from('{"x":1}'), 'pw', FAST);
  assert.equal((await unseal(sealed, 'pw')).toString(), '{"x":1}');
  const flipped = { ...sealed, ciphertext: sealed.ciphertext.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
  await assert.rejects(unseal(flipped, 'pw'), /does not open/);
  // A lowered work factor in the header is caught by the authentication tag, not silently used.
  await assert.rejects(unseal({ ...sealed, kdf: { ...sealed.kdf, N: 2 ** 9 } }, 'pw'), /does not open/);
  await assert.rejects(
    unseal({ ...sealed, kdf: { ...sealed.kdf, N: 2 ** 30 } }, 'pw'),
    /^VaultError: kdf\.N/,
  );
  await assert.rejects(unseal({ ...sealed, format: 'zip' }, 'pw'), /^VaultError: format/);
  await assert.rejects(unseal({ ...sealed, cipher: { ...sealed.cipher, iv: 'AAAA' } }, 'pw'), /cipher\.iv/);
  await assert.rejects(seal(Buffer.from(''), '', FAST), /passphrase: must not be empty/);
  const notJson = join(dir, 'garbage.vault');
  writeFileSync(notJson, 'hello');
  await assert.rejects(Vault.open(notJson, 'pw'), /not a Parley vault/);
});

test('a change that fails leaves the vault as it was', async () => {
  const vault = await Vault.create(join(dir, 'atomic.vault'), 'pw', FAST);
  await vault.update((c) => (c.personalData.phone = '+1 555 0100'));
  await assert.rejects(
    vault.update((c) => {
      (c as unknown as { keys: unknown }).keys = 'not an object';
    }),
    /contents\.keys/,
  );
  assert.equal(vault.contents.personalData.phone, '+1 555 0100');
  assert.deepEqual((await Vault.open(vault.path, 'pw')).contents, vault.contents);
});
