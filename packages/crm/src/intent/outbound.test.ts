import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { originOf, OutboundError, outboundUrl, request } from './outbound.js';

test('outbound: only http and https URLs without credentials are called', async () => {
  for (const url of [
    'file:///etc/passwd',
    'ftp://example.org/x',
    'javascript:alert(1)',
    'not a url',
    'http://u:p@h/',
  ]) {
    assert.throws(() => outboundUrl(url), OutboundError, url);
    await assert.rejects(request('POST', url, {}, { timeoutMs: 100 }), OutboundError);
  }
  assert.equal(outboundUrl('https://agent.example/intents/answers?t=1').host, 'agent.example');
  assert.equal(originOf('https://agent.example/secret/path?token=x'), 'https://agent.example');
});

test('outbound: redirects are not followed, answers are size- and time-limited, errors name the origin only', async (t) => {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(307, { location: '/elsewhere' });
      return res.end();
    }
    if (req.url?.startsWith('/big')) return res.end('x'.repeat(2048));
    if (req.url?.startsWith('/slow')) return setTimeout(() => res.end('late'), 1000);
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  assert.deepEqual(await request('GET', `${base}/ok`, undefined, { timeoutMs: 1000 }), {
    status: 200,
    text: '{"ok":true}',
  });
  await assert.rejects(
    request('POST', `${base}/redirect?token=secret`, {}, { timeoutMs: 1000 }),
    (e: unknown) => {
      assert.ok(e instanceof OutboundError);
      assert.equal(e.status, 307);
      assert.ok(!e.message.includes('secret'));
      return true;
    },
  );
  assert.equal(hits, 2, 'the redirect target was not requested');
  await assert.rejects(
    request('GET', `${base}/big`, undefined, { timeoutMs: 1000, maxBytes: 1024 }),
    /larger than 1024/,
  );
  await assert.rejects(request('GET', `${base}/slow/token`, undefined, { timeoutMs: 100 }), (e: unknown) => {
    assert.ok(e instanceof OutboundError);
    assert.equal(e.message, `${base}: no answer in time`);
    return true;
  });
});
