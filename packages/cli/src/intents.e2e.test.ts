import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Ed25519NoteVerifier, verifyLedgerReceipt } from '@parley/ledger';
import { startWorld } from './world/world.js';
import { runDemo } from './commands/demo.js';

/*
 * The seed scenario on loopback: her intentcast reaches three shops; one rejects her terms, one counters,
 * one offers; she takes an offer; the agreement and the shop's lead exist; every receipt verifies; and no
 * shop's database held anything about her before the agreement (checked on the databases themselves).
 */

const HER = ['ada@example.org', 'Lovelace', 'Oudegracht', '123 4567'];

/** Every text cell of every table of the CRM database that mentions her. */
function mentionsOfHer(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const found: string[] = [];
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).iterate() as Iterable<
        Record<string, unknown>
      >) {
        const text = JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
        for (const mark of HER) if (text.includes(mark)) found.push(`${name}: ${mark}`);
      }
    }
    return found;
  } finally {
    db.close();
  }
}

test('an intentcast to three shops: reject, counter, offer; she takes one; nobody knew her before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-intents-'));
  const world = await startWorld({ dir, passphrase: 'test passphrase' });
  const { url, token } = world.agent;
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };
  try {
    const shops = world.vendors.filter((v) => v.name !== 'Example Telco');
    const r = await call('POST', '/api/v1/intents', {
      intent: { category: 'bicycles', description: 'A commuter e-bike', tags: ['e-bike', 'commuter'] },
      price: { min: 1500, max: 2500, currency: 'EUR' },
      location: { country: 'NL', region: 'Utrecht' },
      validUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      vendors: shops.map((s) => s.url),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const intent = r.body as unknown as {
      id: string;
      answers: {
        vendor: { name: string; url: string };
        decision: string;
        offer?: { id: string; total: { amount: number }; status: string };
      }[];
    };
    const byShop = Object.fromEntries(intent.answers.map((a) => [a.vendor.name, a]));
    assert.equal(byShop['MegaStore']?.decision, 'reject');
    assert.equal(byShop['MegaStore']?.offer, undefined);
    assert.equal(byShop['Fietsenwinkel Noord']?.decision, 'counter');
    assert.equal(byShop['Velo Utrecht']?.decision, 'accept');
    assert.ok(byShop['Velo Utrecht']?.offer && byShop['Fietsenwinkel Noord']?.offer);

    // Before any agreement, no shop's database holds anything about her.
    const crmDb = join(dir, 'crm.db');
    assert.deepEqual(mentionsOfHer(crmDb), []);

    const take = byShop['Velo Utrecht'];
    assert.ok(take?.offer);
    const accepted = await call(
      'POST',
      `/api/v1/intents/${encodeURIComponent(intent.id)}/offers/${encodeURIComponent(take.offer.id)}/acceptance`,
      {},
    );
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    const relationship = accepted.body.relationship as {
      id: string;
      status: string;
      agreement: { id: string; terms: { code: string } };
    };
    assert.equal(relationship.status, 'active');
    assert.equal(relationship.agreement.terms.code, '2P-30D');
    const after = accepted.body.intent as {
      status: string;
      answers: { vendor: { name: string }; offer?: { status: string } }[];
    };
    assert.equal(after.status, 'accepted');
    assert.deepEqual(
      after.answers
        .filter((a) => a.offer)
        .map((a) => `${a.vendor.name}:${a.offer?.status}`)
        .sort(),
      ['Fietsenwinkel Noord:closed', 'Velo Utrecht:accepted'],
    );
    // Taking a second offer of the same intent is refused.
    const again = await call(
      'POST',
      `/api/v1/intents/${encodeURIComponent(intent.id)}/offers/${encodeURIComponent(byShop['Fietsenwinkel Noord']?.offer?.id ?? '')}/acceptance`,
      {},
    );
    assert.equal(again.status, 409);

    await world.agent.agent.idle();
    const velo = shops.find((s) => s.name === 'Velo Utrecht');
    assert.ok(velo);
    const leads = (await velo.api('GET', '/tmf-api/salesManagement/v4/salesLead')).body as unknown[];
    assert.equal(leads.length, 1);
    assert.match(JSON.stringify(leads[0]), new RegExp(relationship.agreement.id));
    const people = JSON.stringify((await velo.api('GET', '/tmf-api/party/v4/individual')).body);
    assert.match(
      people,
      /ada@example\.org/,
      'her contact data reached the shop she chose, after the agreement',
    );
    for (const other of shops.filter((s) => s !== velo)) {
      assert.deepEqual(
        (await other.api('GET', '/tmf-api/party/v4/individual')).body,
        [],
        `${other.name} knows her`,
      );
    }

    // Every receipt she holds verifies with the shop's published log key.
    const agent = world.agent.agent;
    const record = agent.intents.get(intent.id);
    let verified = 0;
    for (const answer of record.answers) {
      const identity = (await (await fetch(answer.vendorUrl)).json()) as { ledger: { vkey: string } };
      const key = Ed25519NoteVerifier.fromVkey(identity.ledger.vkey);
      for (const receipt of [answer.ledger.decision, answer.ledger.offer]) {
        if (receipt) {
          verifyLedgerReceipt(receipt, key);
          verified += 1;
        }
      }
    }
    assert.equal(verified, 5, 'three decisions and two offers');
    const identity = (await (await fetch(velo.url)).json()) as { ledger: { vkey: string } };
    const key = Ed25519NoteVerifier.fromVkey(identity.ledger.vkey);
    const agreementReceipt = agent.agreementReceiptOf(relationship.id);
    assert.ok(agreementReceipt);
    verifyLedgerReceipt(agreementReceipt, key);
    assert.ok(agent.receiptsOf(relationship.id).length >= 1);
    for (const receipt of agent.receiptsOf(relationship.id)) verifyLedgerReceipt(receipt, key);
  } finally {
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parley demo runs the scenario to the end and verifies every receipt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-demo-test-'));
  const lines: string[] = [];
  try {
    await runDemo((line) => lines.push(line), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const text = lines.join('\n');
  assert.match(text, /rejects her terms/);
  assert.match(text, /counters with SD-BASE/);
  assert.match(text, /Every ledger receipt verifies/);
  assert.match(text, /Done: \d+ steps/);
});
