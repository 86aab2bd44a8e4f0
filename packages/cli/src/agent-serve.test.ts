import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startVendors } from '@parley/agent/testing';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const run = promisify(execFile);

test('parley agent serve, then connect, change the address and list what each vendor holds, from the CLI', async () => {
  const { vendors, dir, close } = await startVendors(['Telco A', 'Shop B']);
  const env = {
    PATH: process.env.PATH ?? '',
    PARLEY_PASSPHRASE: 'a long and private passphrase',
    PARLEY_AGENT_TOKEN: 'cli-token-0123456789abcdef',
  };
  const server = spawn(
    process.execPath,
    [BIN, 'agent', 'serve', '--create', '--port', '0', '--vault', join(dir, 'cli.vault')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /agent listening on (http:\/\/\S+)\ndashboard: .*\n/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      server.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    assert.match(out, /#token=<your PARLEY_AGENT_TOKEN>/, 'a token she chose is never printed');
    assert.doesNotMatch(out, /cli-token-0123456789abcdef/);
    const parley = async (...args: string[]) => {
      const r = await run(process.execPath, [BIN, 'agent', ...args, '--agent', url], { env });
      return r.stdout;
    };

    await parley(
      'profile',
      '--email',
      'ada@example.org',
      '--street1',
      '1 Old Road',
      '--city',
      'Springfield',
      '--post-code',
      'SP1',
      '--country',
      'GB',
    );
    for (const vendor of vendors) {
      const rel = JSON.parse(await parley('connect', vendor.url)) as { status: string };
      assert.equal(rel.status, 'active');
    }
    const change = JSON.parse(
      await parley(
        'profile',
        '--street1',
        '2 New Road',
        '--city',
        'Springfield',
        '--post-code',
        'SP2',
        '--country',
        'GB',
      ),
    ) as { deliveries: { status: string }[] };
    assert.deepEqual(
      change.deliveries.map((d) => d.status),
      ['acknowledged', 'acknowledged'],
    );
    assert.equal(JSON.parse(await parley('changes', '--unconfirmed')).length, 0);
    const list = JSON.parse(await parley('relationships')) as {
      id: string;
      shared: { postalAddress: { street1: string } };
    }[];
    assert.deepEqual(
      list.map((r) => r.shared.postalAddress.street1),
      ['2 New Road', '2 New Road'],
    );
    const held = JSON.parse(await parley('data', list[0]?.id ?? '', '--kind', 'party')) as { party: unknown };
    assert.match(JSON.stringify(held.party), /2 New Road/);

    await assert.rejects(
      parley('profile', '--street1', 'only a street'),
      /give --street1, --city, --post-code and --country together/,
    );
    await assert.rejects(
      run(process.execPath, [BIN, 'agent', 'relationships', '--agent', url], {
        env: { ...env, PARLEY_AGENT_TOKEN: 'wrong-token-0123456789' },
      }),
      /401/,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await close();
  }
});
