import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAgent } from './http/server.js';
import { startVendors } from './testing/vendors.js';
import type { ChangeView } from './views.js';

/*
 * One agent, three vendors' CRMs (separate servers, databases, keys and ledgers) on loopback. She connects to
 * all three, changes her address once, and each CRM holds the new address and acknowledged it with a
 * signature and a ledger receipt the agent verified. Then one CRM goes down during a change: the other two
 * acknowledge at once, the third is listed as not confirmed, and gets the event when it comes back.
 */

const OLD = { street1: '12 Old Road', city: 'Springfield', postCode: 'SP1 1AA', country: 'GB' };
const NEW = { street1: '3 New Street', city: 'Springfield', postCode: 'SP2 2BB', country: 'GB' };
const LATEST = { street1: '77 Harbour View', city: 'Shelbyville', postCode: 'SH1 9ZZ', country: 'GB' };

async function individualText(vendor: {
  api: (m: string, p: string) => Promise<{ status: number; body: unknown }>;
}) {
  const r = await vendor.api('GET', '/tmf-api/party/v4/individual');
  assert.equal(r.status, 200);
  return JSON.stringify(r.body);
}

test('one address change reaches three CRMs, each acknowledged; a CRM that was down gets it when it is back', async () => {
  const { vendors, dir, close } = await startVendors(['Telco A', 'Shop B', 'Bank C']);
  const running = await startAgent({
    vaultPath: join(dir, 'alice.vault'),
    passphrase: 'correct horse battery staple',
    create: true,
    token: 'e2e-token-0123456789abcdef',
    retry: { baseMs: 100, maxMs: 300 },
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${running.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${running.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> & unknown[] };
  };
  try {
    let r = await call('PATCH', '/me/profile', {
      givenName: 'Alice',
      familyName: 'Example',
      email: 'alice@example.org',
      postalAddress: OLD,
    });
    assert.equal(r.status, 202);

    const dids = new Set<string>();
    for (const vendor of vendors) {
      r = await call('POST', '/relationships', { url: vendor.url });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.status, 'active');
      assert.deepEqual(
        (r.body.shared as Record<string, unknown>).postalAddress,
        OLD,
        'her data went out at once',
      );
      dids.add(r.body.did as string);
      assert.match(await individualText(vendor), /12 Old Road/);
    }
    assert.equal(dids.size, 3, 'a fresh pairwise identity for each vendor');

    // One move: one signed event per relationship, each acknowledged before the answer.
    r = await call('PATCH', '/me/profile', { postalAddress: NEW });
    assert.equal(r.status, 202);
    const change = r.body as unknown as ChangeView;
    assert.equal(change.deliveries.length, 3);
    for (const d of change.deliveries) assert.equal(d.status, 'acknowledged', `${d.vendor}: ${d.lastError}`);
    for (const vendor of vendors) {
      const text = await individualText(vendor);
      assert.match(text, /3 New Street/, vendor.name);
      assert.doesNotMatch(text, /12 Old Road/, vendor.name);
    }

    // Bank C goes down during the next change.
    const down = vendors[2];
    assert.ok(down);
    await down.stop();
    r = await call('PATCH', '/me/profile', { postalAddress: LATEST });
    const during = r.body as unknown as ChangeView;
    const byVendor = Object.fromEntries(during.deliveries.map((d) => [d.vendor, d]));
    assert.equal(byVendor['Telco A']?.status, 'acknowledged');
    assert.equal(byVendor['Shop B']?.status, 'acknowledged');
    assert.equal(byVendor['Bank C']?.status, 'pending');
    assert.match(byVendor['Bank C']?.lastError ?? '', /not reachable/);
    r = await call('GET', '/changes?status=unconfirmed');
    const unconfirmed = r.body as unknown as ChangeView[];
    assert.equal(unconfirmed.length, 1);
    assert.deepEqual(
      unconfirmed[0]?.deliveries.filter((d) => d.status !== 'acknowledged').map((d) => d.vendor),
      ['Bank C'],
    );

    await down.start();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      r = await call('GET', '/changes?status=unconfirmed');
      if ((r.body as unknown[]).length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    r = await call('GET', '/changes');
    const after = (r.body as unknown as ChangeView[]).find((c) => c.id === during.id);
    assert.ok(after);
    for (const d of after.deliveries) assert.equal(d.status, 'acknowledged', d.vendor);
    assert.ok((after.deliveries.find((d) => d.vendor === 'Bank C')?.attempts ?? 0) >= 2);
    assert.match(await individualText(down), /77 Harbour View/);

    // The dashboard's view: every relationship with what each holds, and verified receipts for every event.
    r = await call('GET', '/relationships');
    for (const rel of r.body as unknown as Record<string, unknown>[]) {
      assert.deepEqual((rel.shared as Record<string, unknown>).postalAddress, LATEST);
      assert.equal(rel.unconfirmed, 0);
    }
    r = await call('GET', '/events?limit=100');
    assert.equal((r.body as unknown[]).length, 9, '3 vendors x (first share + 2 changes)');
  } finally {
    await running.close();
    await close();
  }
});
