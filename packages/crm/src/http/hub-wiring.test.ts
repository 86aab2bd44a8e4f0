import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, household, individual } from '../testing/fixtures.js';

for (const database of testDatabases()) {
  test(`${database.name}: the server's hubs deliver ticket and account-member events to webhooks`, async (t) => {
    const received: { eventType: string; event: Record<string, { id: string }> }[] = [];
    const listener = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const callback = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/listener`;
    const api = await startTestApi(database, { hub: { intervalMs: 20, backoffBaseMs: 20 } });
    await api.app.ready();
    t.after(async () => {
      await api.close();
      listener.close();
    });
    const { call, keys } = api;
    for (const base of [BASE.ticket, BASE.account]) {
      assert.equal((await call(keys.a, 'POST', `${base}/hub`, { callback })).status, 201);
    }
    // Extensions under TMF666's base path share its hub.
    assert.equal(
      (await call(keys.a, 'POST', `${BASE.account}/hub`, { callback, query: 'eventType=X' })).status,
      201,
    );
    const h = await household(api);
    const ticket = await call(keys.a, 'POST', `${BASE.ticket}/troubleTicket`, {
      description: 'Slow data',
      severity: 'minor',
      ticketType: 'quality',
      relatedParty: [{ ...individual(h.child), role: 'customer' }],
    });
    const deadline = Date.now() + 30_000;
    const want = ['BillingAccountCreateEvent', 'AccountMemberCreateEvent', 'TroubleTicketCreateEvent'];
    while (!want.every((w) => received.some((r) => r.eventType === w)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const types = received.map((r) => r.eventType);
    assert.equal(types.filter((x) => x === 'AccountMemberCreateEvent').length, 3, types.join());
    assert.equal(
      received.find((r) => r.eventType === 'TroubleTicketCreateEvent')?.event.troubleTicket?.id,
      ticket.body?.id,
    );
    assert.ok(!types.includes('IndividualCreateEvent'), 'no subscription on the party hub');
  });
}
