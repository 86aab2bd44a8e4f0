import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const KEY = 'qoe-cli-key-0123456789';
const { DATABASE_URL: _ignored, ...ENV } = process.env;

test('parley analytics qoe and selfcare: tables and JSON from a seeded CRM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-qoe-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'crm.db');
  const env = { ...ENV, PARLEY_BOOTSTRAP_KEY: KEY, LOG_LEVEL: 'warn' };
  const seed = spawnSync(process.execPath, [BIN, 'crm', 'seed', '--db', db, '--accounts', '60'], {
    encoding: 'utf8',
    env,
  });
  assert.equal(seed.status, 0, seed.stderr);
  const child = spawn(process.execPath, [BIN, 'crm', 'serve', '--port', '0', '--db', db], { env });
  t.after(() => child.kill('SIGTERM'));
  const address = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /CRM on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', () => reject(new Error(stderr)));
  });
  const run = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'analytics', ...args, '--crm', address, '--key', KEY], { env });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('exit', (status) => resolve({ status, stdout, stderr }));
    });

  const table = await run('qoe', '--by', 'cell', '--from', '2000-01-01T00:00:00Z');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^QoE against SLA by cell/);
  assert.match(table.stdout, /cell\s+samples\s+services\s+compliance\s+availability/);
  assert.match(table.stdout, /cell-\d{6}/);
  const json = await run(
    'qoe',
    '--by',
    'service',
    '--from',
    '2000-01-01T00:00:00Z',
    '--limit',
    '7',
    '--json',
  );
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { by: string; items: { id: string; samples: number }[] };
  assert.equal(parsed.by, 'service');
  assert.equal(parsed.items.length, 7);
  assert.ok(parsed.items.every((i) => i.samples > 0));
  const bad = await run('qoe', '--by', 'planet');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--by: expected one of user, account, group, cell, service/);

  const selfcare = await run('selfcare', '--from', '2000-01-01T00:00:00Z');
  assert.equal(selfcare.status, 0, selfcare.stderr);
  assert.match(selfcare.stdout, /^Wasted self-care, .*: \d+ of \d+ sessions/);
  assert.match(selfcare.stdout, /page\s+sessions\s+wasted\s+rate\s+causes/);
  assert.match(selfcare.stdout, /Funnel/);
  const report = await run('selfcare', '--from', '2000-01-01T00:00:00Z', '--json');
  const r = JSON.parse(report.stdout) as { sessions: number; wasted: number; funnel: { pageViews: number } };
  assert.ok(r.sessions > 0 && r.wasted > 0 && r.funnel.pageViews === r.sessions, report.stdout);
});
