// The CRM agent desktop in a real browser (Debian's Chromium through playwright-core), against a real CRM server
// on a loopback port serving the built desktop at /desktop/, its tenant seeded with the synthetic telco, one
// customer bound to a person's real agent by an agreement, and a ticket opened for her. The agent signs in
// with the tenant's key, works the queue, opens the ticket (her name, the context panel, assignment, a reply),
// searches a customer, reads Customer 360, the agreements she signed and their terms, and the charts.
// Parts whose endpoints the CRM does not have (yet) must say "not available" and break nothing; when they are
// there, the page must show what the API returns. Screenshots go to test-artifacts/desktop/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Party } from '@parley/protocol';
import { openDatabase } from '@parley/store';
import { addApiKey, buildCrmServer, createTenant, seedTelco } from '@parley/crm';
import { startAgent } from '@parley/agent';
import { crmDesktopDir } from '@parley/web';
import { apiClient, artifactsDir, checkPrerequisites, openPage, scratch } from '../testing/browser.js';

const { fetch, URL } = globalThis;
const ARTIFACTS = artifactsDir('desktop', true);
const PARTY = '/tmf-api/party/v4';
const TICKET = '/tmf-api/troubleTicket/v4';

/**
 * A CRM serving the desktop, one tenant with a seeded telco, a customer with an agreement (her agent, invited)
 * and a ticket opened for her; Chromium with a page that records console errors. Everything stops at the end.
 */
async function world(t, prefix = 'desktop') {
  const { dir, cleanups } = scratch(t, 'desktop');
  const db = openDatabase({ url: join(dir, 'crm.db'), synchronous: 'normal' });
  cleanups.push(() => db.close());
  const app = await buildCrmServer({
    db,
    vendorKey: Party.generate('desktop-test-crm'),
    ledger: { url: join(dir, 'ledger.db'), origin: 'desktop-test/ledger' },
    escalationIntervalMs: 0,
    retentionIntervalMs: 0,
    intentFeedPollMs: 0,
    desktopDir: crmDesktopDir,
  });
  const crmUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  const tenantId = await createTenant(db, 'Acme Telco');
  const key = await addApiKey(db, tenantId, 'admin', 'desktop test');
  await seedTelco(db, tenantId, { accounts: 60, seed: 'desktop', threads: 1 });
  const api = apiClient(crmUrl, key);

  // A holder with services: the customer whose ticket is worked.
  const people = await api('GET', `${PARTY}/individual?limit=40`);
  assert.equal(people.status, 200);
  let customer;
  for (const person of people.body) {
    const c360 = await api('GET', `/crm/v1/customer/${person.id}/360`);
    if (c360.body.accounts.some((a) => a.roles.includes('holder')) && c360.body.services.length > 0) {
      customer = { person, c360: c360.body };
      break;
    }
  }
  assert.ok(customer, 'the seed has a holder with services');
  const account = customer.c360.accounts.find((a) => a.roles.includes('holder'));

  // Her agent, invited to bind to her record: an agreement under its terms, her details shared.
  const agent = await startAgent({
    vaultPath: join(dir, 'her.vault'),
    passphrase: 'correct horse battery staple',
    create: true,
    host: '127.0.0.1',
    port: 0,
    token: 'desktop-test-token-0123456789',
  });
  cleanups.push(() => agent.close());
  await agent.agent.updateProfile({
    givenName: customer.person.givenName,
    familyName: customer.person.familyName,
    email: 'her@example.org',
  });
  const invitation = await api('POST', '/crm/v1/agreementInvitations', { partyId: customer.person.id });
  assert.equal(invitation.status, 201, JSON.stringify(invitation.body));
  const relationship = await agent.agent.connect({
    url: `${crmUrl}/parley/v1/vendors/${tenantId}`,
    invitation: invitation.body.code,
  });
  assert.equal(relationship.status, 'active');

  const openapi = await (await fetch(`${crmUrl}/openapi.json`)).json();
  const has = (path) => Object.hasOwn(openapi.paths, path);
  // The desk's agents, when the CRM has a desk.
  const deskAgents = [];
  if (has('/crm/v1/deskAgents')) {
    for (const name of ['Sam Okafor', 'Kim Larsen']) {
      const r = await api('POST', '/crm/v1/deskAgents', { name });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      deskAgents.push(r.body);
    }
  }

  // She writes from self-care: no signal at home (a ticket on the self-care channel, so a reply has somewhere
  // to go). A CRM without the desk's channels gets the ticket through TMF621.
  let ticket;
  if (has('/crm/v1/selfcare/messages')) {
    const selfcareKey = await addApiKey(
      db,
      tenantId,
      'selfcare',
      'her self-care',
      undefined,
      customer.person.id,
    );
    const message = await apiClient(crmUrl, selfcareKey)('POST', '/crm/v1/selfcare/messages', {
      subject: 'No signal at home',
      text: 'No signal at home since this morning: no calls, no data.',
    });
    assert.equal(message.status, 201, JSON.stringify(message.body));
    ticket = (await api('GET', `${TICKET}/troubleTicket/${message.body.ticketId}`)).body;
  } else {
    const opened = await api('POST', `${TICKET}/troubleTicket`, {
      name: 'No signal at home',
      description: 'No signal at home since this morning: no calls, no data.',
      severity: 'Critical',
      ticketType: 'coverage',
      priority: 'critical',
      relatedParty: [{ id: customer.person.id, '@referredType': 'Individual', role: 'customer' }],
      relatedEntity: [
        { id: account.id, '@referredType': 'BillingAccount', role: 'account', name: account.name },
      ],
    });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    ticket = opened.body;
  }

  const { page, shot, steps } = await openPage(cleanups, {
    artifacts: ARTIFACTS,
    prefix,
    viewport: { width: 1360, height: 900 },
  });
  return { crmUrl, key, api, has, deskAgents, customer, account, ticket, page, shot, steps };
}

/** Waits until `locator` matches `n` elements (fails after 10 s with the count it saw). */
async function countReaches(locator, n) {
  let count = -1;
  for (let i = 0; i < 100; i++) {
    count = await locator.count();
    if (count === n) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(count, n);
}

checkPrerequisites(crmDesktopDir);

test(
  'desktop: sign in, the queue, a ticket in context, assign and reply, search, Customer 360, agreements, charts',
  { timeout: 240_000 },
  async (t) => {
    const { crmUrl, key, api, has, deskAgents, customer, ticket, page, shot, steps } = await world(t);
    const name = customer.c360.party.name;
    const report = [];
    const note = (line) => report.push(line);

    await steps(async () => {
      // /desktop is public (static files); the data needs the key.
      await page.goto(`${crmUrl}/desktop`);
      assert.match(new URL(page.url()).pathname, /^\/desktop\/$/, '/desktop redirects to /desktop/');
      await page.getByTestId('sign-in').waitFor();
      await shot('sign-in');
      await page.getByLabel('Staff API key').fill(key);
      await page.getByTestId('sign-in-submit').click();

      // The queue: every open ticket, ours among them, its timer counting down.
      const queue = await api('GET', '/crm/v1/ticketQueue?limit=500');
      assert.equal(queue.status, 200);
      const queueAssignee = queue.body.find((q) => q.id === ticket.id)?.assignee;
      const row = page.getByTestId(`queue-row-${ticket.id}`);
      await row.waitFor();
      assert.equal(await page.getByTestId('queue').locator('tbody tr').count(), queue.body.length);
      assert.notEqual(await row.getAttribute('data-sla'), 'breached');
      const timer = row.getByTestId('sla-timer');
      const before = await timer.innerText();
      assert.match(before, / left$/);
      // It counts down.
      await page.waitForTimeout(1100);
      if (/ s left$/.test(before)) assert.notEqual(await timer.innerText(), before);
      const breached = queue.body.filter((q) => q.slaClock.resolutionBreached).length;
      assert.equal(await page.locator('[data-testid^="queue-row-"][data-sla="breached"]').count(), breached);
      assert.match(await page.getByTestId('queue-summary').innerText(), new RegExp(`${breached} breached`));
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Ticket queue');
      await shot('queue');

      // Filters by channel and assignee, when the queue says them.
      const channelFilter = page.getByTestId('filter-channel');
      if (await channelFilter.isEnabled()) {
        // The channel her ticket came in on: the API's answer for it, her ticket among them.
        const channel = queue.body.find((q) => q.id === ticket.id)?.channel ?? 'phone';
        const same = (await api('GET', `/crm/v1/ticketQueue?channel=${channel}&limit=500`)).body;
        await channelFilter.selectOption(channel);
        await countReaches(page.getByTestId('queue').locator('tbody tr'), same.length);
        if (same.some((q) => q.id === ticket.id)) await row.waitFor();
        note(`channel filter: ${same.length} ${channel} tickets`);
        await shot('queue-channel');
        await channelFilter.selectOption('');
      } else note('channel filter: the queue does not say channels yet');

      // The ticket load chart: one group of bars per day the API returned.
      if (has('/crm/v1/desktop/ticketLoad')) {
        const load = await api('GET', '/crm/v1/desktop/ticketLoad?days=14');
        await page.getByTestId('load-chart').waitFor();
        assert.equal(await page.getByTestId('load-day').count(), load.body.length);
        note(`ticket load: ${load.body.length} days charted`);
      } else {
        await page.getByTestId('load-not-available').waitFor();
        note('ticket load: not available');
      }

      // The ticket: what it is, her name, the context panel.
      await row.getByTestId('open-ticket').click();
      await page.getByTestId('ticket-title').filter({ hasText: 'No signal at home' }).waitFor();
      await page.getByTestId('customer-name').filter({ hasText: name }).waitFor();
      assert.equal(await page.getByTestId('ticket-status').innerText(), 'acknowledged');
      if (has('/crm/v1/desktop/context') && has('/crm/v1/desktop/reasons')) {
        const reason = await page.getByTestId('contact-reason').inputValue();
        assert.equal(reason, 'no-signal', 'a coverage ticket is a no-signal contact');
        await page.getByTestId('facts').or(page.getByTestId('no-facts')).waitFor();
        const context = await api(
          'GET',
          `/crm/v1/desktop/context?partyId=${customer.person.id}&reason=${reason}&ticketId=${ticket.id}`,
        );
        assert.equal(context.status, 200, JSON.stringify(context.body));
        assert.ok(context.body.facts.length <= 10);
        assert.equal(await page.getByTestId('fact').count(), context.body.facts.length);
        const first = context.body.facts[0];
        if (first) {
          const shown = page.getByTestId('fact').first();
          assert.match(
            await shown.innerText(),
            new RegExp(first.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
          );
          assert.equal(await shown.getByTestId('fact-why').locator('li').count(), (first.why ?? []).length);
        }
        for (const alert of context.body.alerts)
          await page.getByTestId(`alert-${alert.kind}`).first().waitFor();
        note(`context: ${context.body.facts.length} facts, ${context.body.alerts.length} alerts`);
        await shot('ticket-context');
        if (first && has('/crm/v1/desktop/resolutions')) {
          await page.getByTestId('fact').first().getByTestId('resolve-fact').click();
          await page.getByTestId('fact-resolved').waitFor();
          note('resolution: marked the first fact');
        }
      } else {
        await page
          .getByTestId('context-not-available')
          .or(page.getByTestId('reasons-not-available'))
          .waitFor();
        note('context panel: not available');
        await shot('ticket');
      }

      // Assignment.
      let assignedTo;
      if (has('/crm/v1/troubleTicket/{id}/assignment')) {
        // To the desk agent it is not assigned to yet.
        const sam =
          deskAgents.find((a) => a.id !== ticket.assignee && a.id !== queueAssignee) ?? deskAgents[0];
        assert.ok(sam, 'a CRM that assigns has desk agents');
        await page.getByTestId('assignee').selectOption({ label: sam.name });
        await page.getByTestId('assign-submit').click();
        await page
          .getByTestId('assign-done')
          .filter({ hasText: `Assigned to ${sam.name}` })
          .waitFor();
        const mine = (await api('GET', '/crm/v1/ticketQueue?limit=500')).body.find((q) => q.id === ticket.id);
        assert.equal(mine.assignee, sam.id);
        assignedTo = sam;
        note(`assignment: to ${sam.name}`);
      } else {
        await page.getByTestId('assign-not-available').waitFor();
        note('assignment: not available');
      }

      // A reply.
      if (has('/crm/v1/troubleTicket/{id}/reply')) {
        await page.getByLabel('Message to the customer').fill('We are checking the cell near you.');
        await page.getByTestId('reply-submit').click();
        await page
          .getByTestId('reply-sent')
          .filter({ hasText: /^Reply sent/ })
          .waitFor();
        // The first reply stops the response clock: the ticket is in progress.
        await page.getByTestId('ticket-status').filter({ hasText: 'inProgress' }).waitFor();
        note('reply: sent');
      } else {
        await page.getByTestId('reply-not-available').waitFor();
        note('reply: not available');
      }
      await shot('ticket-worked');

      // The queue again, filtered by the assignee: what the API gives for them, this ticket among them.
      const assigneeFilter = page.getByTestId('filter-assignee');
      if (assignedTo) {
        await page.getByTestId('nav-queue').click();
        await page.getByTestId(`queue-row-${ticket.id}`).waitFor();
        await assigneeFilter.selectOption({ label: assignedTo.name });
        const theirs = (await api('GET', `/crm/v1/ticketQueue?assignee=${assignedTo.id}&limit=500`)).body;
        assert.ok(theirs.some((q) => q.id === ticket.id));
        await countReaches(page.getByTestId('queue').locator('tbody tr'), theirs.length);
        await page.getByTestId(`queue-row-${ticket.id}`).waitFor();
        await shot('queue-assignee');
        await page.getByTestId(`queue-row-${ticket.id}`).getByTestId('open-ticket').click();
        await page.getByTestId('customer-name').filter({ hasText: name }).waitFor();
      }

      // Customer 360 from the ticket.
      await page.getByTestId('customer-link').click();
      await page.getByTestId('customer360-name').filter({ hasText: name }).waitFor();
      assert.equal(
        await page.getByTestId('customer360-accounts').locator('tbody tr').count(),
        customer.c360.accounts.length,
      );
      assert.equal(
        await page.getByTestId('customer360-services').locator('tbody tr').count(),
        customer.c360.services.length,
      );
      await page.getByTestId(`c360-ticket-${ticket.id}`).waitFor();
      await shot('customer-360');

      // The agreement she signed, its terms and what they allow; what each item may serve now.
      const compliance = await api('GET', `/crm/v1/compliance/individual/${customer.person.id}`);
      assert.equal(compliance.status, 200);
      const agreement = compliance.body.agreements[0].agreement;
      const card = page.getByTestId(`agreement-${agreement.id}`);
      await card.waitFor();
      assert.equal(await card.getByTestId('agreement-status').innerText(), 'active');
      assert.match(await card.locator('h3').innerText(), new RegExp(`^${agreement.terms.code}: `));
      const matrix = card.getByTestId(`terms-matrix-${agreement.terms.code}`);
      await matrix.waitFor();
      assert.ok((await matrix.locator('[data-permission="yes"]').count()) >= 1, 'some purposes allowed');
      assert.ok((await matrix.locator('[data-permission="no"]').count()) >= 1, 'some purposes refused');
      const provenance = await api('GET', `/crm/v1/individual/${customer.person.id}/provenance`);
      assert.equal(await page.getByTestId('provenance-item').count(), provenance.body.items.length);
      assert.ok(
        (await page.locator('[data-testid="provenance-item"][data-source="agreement"]').count()) >= 1,
      );
      await page.getByTestId('agreements').scrollIntoViewIfNeeded();
      await shot('agreements');

      // QoE against SLA: as many points as the API returned, per service.
      if (has('/crm/v1/desktop/qoe')) {
        const qoe = await api('GET', `/crm/v1/desktop/qoe?partyId=${customer.person.id}&days=30`);
        assert.equal(qoe.status, 200);
        for (const series of qoe.body) {
          const chart = page.getByTestId(`qoe-${series.serviceId}`);
          await chart.waitFor();
          const metric = await chart
            .getByTestId('qoe-chart')
            .getAttribute('data-metric')
            .catch(() => null);
          if (metric) {
            const expected = series.points.filter((p) => typeof p[metric] === 'number').length;
            assert.equal(await chart.getByTestId('qoe-point').count(), expected);
          }
        }
        note(`qoe: ${qoe.body.length} services charted`);
      } else {
        await page.getByTestId('qoe-not-available').waitFor();
        note('qoe: not available');
      }
      await page.getByTestId('qoe').scrollIntoViewIfNeeded();
      await shot('qoe');

      // Search by family name (TMF632), then Customer 360 of a result.
      await page.getByTestId('nav-search').click();
      await page.getByLabel('Family name').fill(customer.person.familyName);
      await page.getByTestId('search-submit').click();
      await page.getByTestId('search-results').waitFor();
      const found = await api(
        'GET',
        `${PARTY}/individual?familyName=${encodeURIComponent(customer.person.familyName)}&limit=50`,
      );
      assert.equal(await page.getByTestId('search-results').locator('tbody tr').count(), found.body.length);
      await page.getByTestId(`result-${customer.person.id}`).waitFor();
      await shot('search');
      await page.getByTestId(`result-${customer.person.id}`).getByTestId('result-link').click();
      await page.getByTestId('customer360-name').filter({ hasText: name }).waitFor();

      // Back to the queue by keyboard: the nav link is focusable and follows Enter.
      await page.getByTestId('nav-queue').focus();
      await page.keyboard.press('Enter');
      await page.getByTestId(`queue-row-${ticket.id}`).waitFor();
    });
    t.diagnostic(report.join('; '));
  },
);

test(
  'desktop: on a CRM without the desktop endpoints, each part says it is not available and nothing breaks',
  { timeout: 240_000 },
  async (t) => {
    const { crmUrl, key, ticket, customer, page, shot, steps } = await world(t, 'without');
    const name = customer.c360.party.name;
    // The CRM as it was before the desktop's endpoints: its API description without them.
    const missing = [
      '/crm/v1/desktop/',
      '/crm/v1/troubleTicket/{id}/assignment',
      '/crm/v1/troubleTicket/{id}/reply',
      '/crm/v1/deskAgents',
    ];
    await page.route('**/openapi.json', async (route) => {
      const response = await route.fetch();
      const doc = await response.json();
      const kept = Object.entries(doc.paths).filter(
        ([path]) => !missing.some((m) => path === m || path.startsWith(m)),
      );
      await route.fulfill({ response, json: { ...doc, paths: Object.fromEntries(kept) } });
    });
    const called = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/crm/v1/desktop/') || path === '/crm/v1/deskAgents') called.push(path);
    });

    await steps(async () => {
      await page.goto(`${crmUrl}/desktop/`);
      await page.getByLabel('Staff API key').fill(key);
      await page.getByTestId('sign-in-submit').click();
      await page.getByTestId(`queue-row-${ticket.id}`).waitFor();
      await page.getByTestId('load-not-available').waitFor();
      await shot('queue');
      await page.getByTestId(`queue-row-${ticket.id}`).getByTestId('open-ticket').click();
      await page.getByTestId('customer-name').filter({ hasText: name }).waitFor();
      await page.getByTestId('context-not-available').waitFor();
      await page.getByTestId('assign-not-available').waitFor();
      await page.getByTestId('reply-not-available').waitFor();
      await shot('ticket');
      await page.getByTestId('customer-link').click();
      await page.getByTestId('customer360-name').filter({ hasText: name }).waitFor();
      await page.getByTestId('qoe-not-available').waitFor();
      // What exists still works: her agreement is there.
      await page.getByTestId('agreements-summary').filter({ hasText: '1 agreement' }).waitFor();
      await shot('customer-360');
      assert.deepEqual(called, [], 'no call to an endpoint the CRM does not list');
    });
  },
);
