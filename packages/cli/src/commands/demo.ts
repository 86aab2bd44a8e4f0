import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519NoteVerifier, verifyLedgerReceipt } from '@parley/ledger';
import type { IntentView } from '@parley/agent';
import { startWorld, type World } from '../world/world.js';
import { CliError } from '../io.js';
import { crmDesktopDir } from './crm.js';

type Print = (line: string) => void;

async function dashboardDir(): Promise<string | undefined> {
  try {
    const web = (await import('@parley/web' as string)) as { agentDashboardDir?: string };
    return web.agentDashboardDir;
  } catch {
    return undefined;
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CliError(`demo: ${message}`);
}

/**
 * The intentcast scenario, end to end, on loopback: she intentcasts an e-bike to three shops with a one-off
 * identity; one declines her terms, one counters, one accepts, each with a signed decision (and offer); no
 * shop knows who she is; she takes the cheapest offer, an agreement releases her contact data to that shop
 * alone, which records a lead; every ledger receipt is verified at the end. Throws at the first failure.
 */
export async function runDemo(print: Print, dir: string): Promise<void> {
  let n = 0;
  const step = (title: string, ...lines: string[]) => {
    n += 1;
    print(`\n${String(n).padStart(2)}. ${title}`);
    for (const line of lines) print(`    ${line}`);
  };
  const world: World = await startWorld({
    dir,
    passphrase: 'demo passphrase (not a secret)',
    telcoAccounts: 0,
  });
  try {
    const shops = world.vendors.filter((v) =>
      v.setup.catalogue.some((c) => JSON.stringify(c).includes('bicycles')),
    );
    step(
      'Three shops on one CRM server (separate tenants, keys and policies), and her agent',
      ...shops.map((s) => `${s.name.padEnd(20)} ${s.setup.summary}`),
      `her agent: ${world.agent.url}`,
    );

    const { agent } = world.agent;
    const created = await agent.intents.create({
      intent: {
        category: 'bicycles',
        description: 'A commuter e-bike with a belt drive',
        tags: ['e-bike', 'commuter'],
      },
      price: { min: 1500, max: 2500, currency: 'EUR' },
      location: { country: 'NL', region: 'Utrecht' },
      validUntil: new Date(Date.now() + 14 * 86_400_000).toISOString(),
      terms: ['PDC-INTENT', '2P-30D'],
      vendors: shops.map((s) => s.url),
    });
    const { intentView } = await import('@parley/agent');
    const view: IntentView = intentView(created);
    step(
      'She intentcasts: an e-bike, 1500-2500 EUR, around Utrecht, for 14 days',
      `one-off identity ${view.did.slice(0, 28)}…  (no name, no address, no e-mail)`,
      `terms she will talk under: ${view.terms.map((t) => `${t.code} (${t.title})`).join(', ')}`,
      `pushed to ${view.pushes.length} shops: ${view.pushes.map((p) => p.status).join(', ')}`,
    );
    check(
      view.pushes.every((p) => p.status === 'answered'),
      `not every shop answered: ${JSON.stringify(view.pushes)}`,
    );

    const lines = view.answers.map((a) => {
      const what =
        a.decision === 'reject'
          ? `rejects her terms: "${a.reason ?? ''}"`
          : `${a.decision === 'accept' ? 'accepts' : 'counters with'} ${a.terms?.code ?? ''}; offers ` +
            `${a.offer?.items.map((i) => i.name).join(', ') ?? 'nothing'} for ${a.offer?.total.amount ?? '-'} ${a.offer?.total.currency ?? ''}`;
      return `${a.vendor.name.padEnd(20)} ${what}${a.receiptVerified ? '  [ledger receipt verified]' : ''}`;
    });
    step('The shops decide by their policies, each answer signed and logged', ...lines);
    const decisions = view.answers.map((a) => a.decision).sort();
    check(
      decisions.join() === 'accept,counter,reject',
      `expected accept, counter and reject, got ${decisions.join(', ')}`,
    );

    const strangers = await Promise.all(
      shops.map(async (s) => (await s.api('GET', '/tmf-api/party/v4/individual')).body as unknown[]),
    );
    step(
      'Nobody knows who she is yet',
      ...shops.map((s, i) => `${s.name.padEnd(20)} holds ${strangers[i]?.length ?? '?'} people`),
    );
    check(
      strangers.every((people) => Array.isArray(people) && people.length === 0),
      'a shop holds a person before any agreement',
    );

    const offers = view.answers.filter((a) => a.offer && a.offer.status === 'open');
    const cheapest = offers.sort((a, b) => (a.offer?.total.amount ?? 0) - (b.offer?.total.amount ?? 0))[0];
    check(cheapest?.offer, 'no open offer to take');
    const { relationship, intent } = await agent.intents.acceptOffer(created.id, cheapest.offer.id);
    const chosen = shops.find((s) => s.url === cheapest.vendor.url);
    check(chosen, 'the chosen shop is not one of the three');
    step(
      `She takes the cheapest offer: ${cheapest.vendor.name}, ${cheapest.offer.total.amount} EUR under ${cheapest.offer.terms.code}`,
      `signed acceptance with the intent's identity, naming a fresh identity for the relationship ${relationship.did.slice(0, 24)}…`,
      `agreement ${relationship.agreement?.id ?? '(none)'}`,
      `terms ${relationship.agreement?.terms.code ?? ''}, purposes ${(relationship.agreement?.purposes ?? []).join(', ')}, ` +
        `retention ${relationship.agreement?.retentionDays ?? 'while the relationship lasts'}`,
      `the other offers: ${intentView(intent)
        .answers.filter((a) => a.offer && a.vendor.url !== cheapest.vendor.url)
        .map((a) => `${a.vendor.name} ${a.offer?.status ?? ''}`)
        .join(', ')}`,
    );
    check(relationship.status === 'active', `the agreement was not concluded (${relationship.status})`);

    await agent.idle();
    const shared = agent.relationship(relationship.id);
    const leads = (await chosen.api('GET', '/tmf-api/salesManagement/v4/salesLead')).body as Record<
      string,
      unknown
    >[];
    const people = (await chosen.api('GET', '/tmf-api/party/v4/individual')).body as unknown[];
    step(
      'Only now does her contact data go out, to that shop alone, as signed events',
      `shared and acknowledged: ${Object.keys(shared.shared).join(', ')}`,
      `${chosen.name} recorded a sales lead tied to the agreement: ${leads.length} lead(s), ${people.length} person`,
    );
    check(Object.keys(shared.shared).length > 0, 'no data was acknowledged');
    check(
      leads.some((l) => JSON.stringify(l).includes(relationship.agreement?.id ?? '?')),
      'no lead names the agreement',
    );
    for (const other of shops.filter((s) => s !== chosen)) {
      const held = (await other.api('GET', '/tmf-api/party/v4/individual')).body as unknown[];
      check(held.length === 0, `${other.name} learned who she is`);
    }

    // Every receipt she holds, verified offline with each shop's published log key.
    let verified = 0;
    const keys = new Map<string, Ed25519NoteVerifier>();
    for (const shop of shops) {
      const identity = (await (await fetch(shop.url)).json()) as { ledger: { vkey: string } };
      keys.set(shop.url, Ed25519NoteVerifier.fromVkey(identity.ledger.vkey));
    }
    for (const answer of intent.answers) {
      const key = keys.get(answer.vendorUrl);
      check(key, `no log key for ${answer.vendorName}`);
      for (const receipt of [answer.ledger.decision, answer.ledger.offer]) {
        if (!receipt) continue;
        verifyLedgerReceipt(receipt, key);
        verified += 1;
      }
    }
    const state = agent.relationship(relationship.id);
    const key = keys.get(chosen.url);
    check(key, 'no log key for the chosen shop');
    const agreementReceipt = agent.agreementReceiptOf(relationship.id);
    check(agreementReceipt, 'the agreement has no ledger receipt');
    verifyLedgerReceipt(agreementReceipt, key);
    verified += 1;
    const events = agent.receiptsOf(relationship.id);
    for (const receipt of events) verifyLedgerReceipt(receipt, key);
    verified += events.length;
    step(
      `Every ledger receipt verifies: ${verified}, each against its shop's published log key`,
      `decisions and offers of ${intent.answers.length} shops, the agreement, ${events.length} acknowledged event(s)`,
      `relationship ${state.status}; her own log (key ${agent.ledgerVkey.split('+')[0]}) holds the same records`,
    );
    check(verified >= 7, `only ${verified} receipts`);
    print(`\nDone: ${n} steps; every signature, hash and receipt checked by the side that received it.`);
  } finally {
    await world.close();
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Run the intentcast scenario end to end in the terminal: an e-bike intentcast to three shops with different ' +
        'policies (one declines her terms, one counters, one accepts), offers compared, the cheapest taken, an ' +
        'agreement releasing her contact data to that shop alone, a sales lead, and every ledger receipt verified. ' +
        'Exits non-zero if any step fails.',
    )
    .option(
      '--keep <dir>',
      'keep the world (databases, ledgers, her vault) in this folder instead of a temporary one',
    )
    .action(async (options: { keep?: string }) => {
      const dir = options.keep ?? mkdtempSync(join(tmpdir(), 'parley-demo-'));
      try {
        await runDemo((line) => process.stdout.write(line + '\n'), dir);
      } finally {
        if (!options.keep) rmSync(dir, { recursive: true, force: true });
      }
    });
}

export function upCommand(): Command {
  return new Command('up')
    .description(
      'Start the whole system on the embedded default (SQLite): a CRM server with four vendors (catalogues, ' +
        'synthetic telco customers, different intent policies; three follow her intent feed), and her personal ' +
        'agent with its dashboard. Prints the URLs and keys; Ctrl-C stops it. State is kept in --dir.',
    )
    .option('--dir <dir>', 'where the databases, ledgers and her vault live', '.parley')
    .option('--crm-port <n>', 'the CRM server port', '8080')
    .option('--agent-port <n>', "the agent's port (her dashboard)", '7070')
    .option('--telco-accounts <n>', 'synthetic telco accounts on first start', '500')
    .action(async (options: { dir: string; crmPort: string; agentPort: string; telcoAccounts: string }) => {
      const print = (line: string) => process.stdout.write(line + '\n');
      const passphrase = process.env.PARLEY_PASSPHRASE ?? 'parley demo passphrase';
      print(`Starting Parley in ${options.dir} …`);
      const desktopDir = await crmDesktopDir();
      const world = await startWorld({
        dir: options.dir,
        passphrase,
        crmPort: Number(options.crmPort),
        agentPort: Number(options.agentPort),
        telcoAccounts: Number(options.telcoAccounts),
        feedPollMs: 2000,
        log: print,
        ...((await dashboardDir()) ? { dashboardDir: (await dashboardDir()) as string } : {}),
        ...(desktopDir ? { desktopDir } : {}),
      });
      print('');
      print(`Her dashboard:   ${world.agent.url}/#token=${world.agent.token}`);
      print(`Her agent's API: ${world.agent.url}/openapi.json  (Authorization: Bearer ${world.agent.token})`);
      print(`CRM server:      ${world.crmUrl}/docs`);
      if (desktopDir) print(`Agent desktop:   ${world.crmUrl}/desktop/  (sign in with an admin key below)`);
      for (const v of world.vendors) {
        print(`  ${v.name.padEnd(20)} vendor URL ${v.url}`);
        print(`  ${''.padEnd(20)} admin key  ${v.adminKey}`);
      }
      print('');
      print(
        'Open her dashboard, and under "I want…" intentcast, say, an e-bike (category bicycles) up to 2500 EUR:',
      );
      print('the shops that follow her feed answer within seconds. Or connect to a vendor URL above.');
      if (!process.env.PARLEY_PASSPHRASE)
        print(`(her vault's passphrase is "${passphrase}": set PARLEY_PASSPHRASE for your own)`);
      const stop = () => void world.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
