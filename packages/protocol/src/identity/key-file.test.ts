import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Party } from './party.js';
import { parseKeyFile, serializeKeyFile } from './key-file.js';
import { IdentityError } from '../errors.js';

test('a key file round-trips and its public facts must match its secret key', () => {
  const party = Party.generate('me');
  const text = serializeKeyFile(party);
  const back = parseKeyFile(text);
  assert.equal(back.did, party.did);
  assert.equal(back.exportSecret(), party.exportSecret());
  assert.ok(back.key.exportSecretKey().equals(party.key.exportSecretKey()));
  const other = Party.generate();
  const swapped = JSON.stringify({ ...JSON.parse(text), did: other.did });
  assert.throws(
    () => parseKeyFile(swapped),
    (e: unknown) => e instanceof IdentityError && e.field === 'keyFile.did',
  );
  const broken = JSON.stringify({ ...JSON.parse(text), secretKey: 'not base64!' });
  assert.throws(
    () => parseKeyFile(broken),
    (e: unknown) =>
      e instanceof IdentityError && e.field === 'keyFile.secretKey' && !e.message.includes('not base64'),
  );
});

test('printing, logging or serialising a party or key never shows a secret', () => {
  const party = Party.generate('me');
  const secrets = [
    party.key.exportSecretKey().toString('base64url'),
    party.key.exportSecretKey().subarray(0, 32).toString('base64url'),
    party.exportSecret(),
  ];
  const shown = [
    inspect(party),
    String(party),
    JSON.stringify(party),
    inspect(party.key),
    JSON.stringify({ k: party.key }),
    `${party.key}`,
    inspect(party, { showHidden: true, depth: 5 }),
  ];
  for (const text of shown) for (const secret of secrets) assert.ok(!text.includes(secret), text);
});
