import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'parley-crm-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `parley crm serve`, resolves with its address and everything it printed once it listens. */
function serve(
  env: Record<string, string>,
  db: string,
): Promise<{ address: string; stderr: string; stop: () => void }> {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  const child = spawn(process.execPath, [BIN, 'crm', 'serve', '--port', '0', '--db', db], {
    env: { ...rest, LOG_LEVEL: 'warn', ...env },
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /CRM on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m)
        setTimeout(
          () => resolve({ address: m[1] as string, stderr, stop: () => child.kill('SIGTERM') }),
          100,
        );
    });
    child.on('exit', () => reject(new Error(stderr)));
  });
}

test('crm serve: PARLEY_BOOTSTRAP_KEY becomes the default tenant admin key; a customer is created as TMF629 says', async () => {
  const db = join(dir, 'boot.db');
  const key = 'bootstrap-key-0123456789';
  const s = await serve({ PARLEY_BOOTSTRAP_KEY: key }, db);
  try {
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const party = await fetch(`${s.address}/tmf-api/party/v4/individual`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ givenName: 'Alice', familyName: 'Example' }),
    });
    assert.equal(party.status, 201);
    const { id } = (await party.json()) as { id: string };
    const customer = await fetch(`${s.address}/tmf-api/customerManagement/v4/customer`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Alice', engagedParty: { id, '@referredType': 'Individual' } }),
    });
    assert.equal(customer.status, 201);
    assert.equal((await fetch(`${s.address}/tmf-api/customerManagement/v4/customer`)).status, 401);
  } finally {
    s.stop();
  }
});

test('crm serve: without a bootstrap key the first start prints a new admin key once, and it works', async () => {
  const db = join(dir, 'fresh.db');
  const first = await serve({}, db);
  const key = /\n {4}(pk_\S+)\n/.exec(first.stderr)?.[1];
  assert.ok(key, first.stderr);
  const r = await fetch(`${first.address}/tmf-api/party/v4/individual`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(r.status, 200);
  first.stop();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const second = await serve({}, db);
  assert.doesNotMatch(second.stderr, /pk_/);
  second.stop();
});
