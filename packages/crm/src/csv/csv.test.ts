import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { migrate, type Database } from '@parley/store';
import { HttpProblem } from '../http/problem.js';
import { CRM_MIGRATIONS } from '../migrations.js';
import { createTenant } from '../tenant/keys.js';
import { testDatabases } from '../testing/databases.js';
import { exportCsv } from './export.js';
import { importCsv, type ImportOptions, type ImportProgress } from './import.js';
import type { CsvKind } from './format.js';

const PARTIES =
  'kind,id,givenName,familyName,name,tradingName,birthDate,email,phone,street,city,postCode,country,status,agreementId\n' +
  'Individual,p-ada,Ada,Lovelace,"Lovelace, Ada",,1815-12-10,ada@example.org,+44 20 7946 0001,"12 St James\'s Square\nFlat 3",London,SW1Y 4JH,GB,validated,\n' +
  'Individual,p-bo,Bo,"O""Brien",,,,bo@example.org,,,,,,initialized,agr-1\n' +
  'Organization,p-acme,,,"Acme, Inc.",Acme,,info@acme.example,,"1 Road, Unit ""B""",Springfield,12345,US,validated,\n' +
  'Individual,,Cy,Example,,,,,,,,,,,\n';

const ACCOUNTS =
  'id,name,accountType,state,holderPartyId,agreementId\n' +
  'a-ada,"Ada\'s family plan",family,Active,p-ada,\n' +
  'a-acme,Acme corporate,business,Active,p-acme,agr-2\n';

function usageCsv(rows: number, bad?: { row: number; line: string }): string {
  const lines = [
    'usageType,usageDate,durationSeconds,volumeBytes,cellId,charge,currency,accountId,partyId,serviceId,status,agreementId',
  ];
  for (let i = 0; i < rows; i++) {
    const row = i + 2;
    if (bad && row === bad.row) {
      lines.push(bad.line);
      continue;
    }
    const type = ['voice', 'sms', 'data'][i % 3] as string;
    const at = new Date(Date.UTC(2026, 2, 1) + i * 60_000).toISOString();
    lines.push(
      `${type},${at},${type === 'sms' ? '' : i % 600},${type === 'data' ? i * 1000 : ''},cell-${i % 7},${(i % 100) / 100},EUR,${i % 2 ? 'a-ada' : 'a-acme'},${i % 2 ? 'p-ada' : 'p-acme'},,rated,`,
    );
  }
  return lines.join('\n') + '\n';
}

const source = (text: string) => Readable.from([Buffer.from(text)]);

async function exported(db: Database, tenant: string, kind: CsvKind, query: Record<string, string> = {}) {
  let out = '';
  for await (const chunk of exportCsv(db, tenant, kind, query, { pageSize: 7 })) out += chunk;
  return out;
}

async function count(db: Database, table: string, tenant: string): Promise<number> {
  const row = (await db.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenant)
    .executeTakeFirstOrThrow()) as { n: number | string };
  return Number(row.n);
}

for (const database of testDatabases()) {
  test(`${database.name}: CSV import and export`, async (t) => {
    const db = await database.open();
    t.after(async () => {
      await db.close();
      await database.cleanup();
    });
    await migrate(db, CRM_MIGRATIONS);
    const a = await createTenant(db, 'Telco A');
    const b = await createTenant(db, 'Telco B');
    const run = (tenant: string, kind: CsvKind, text: string, options: ImportOptions = {}) =>
      importCsv(db, tenant, kind, source(text), options);

    await t.test('parties, accounts and usage round-trip into another tenant', async () => {
      const events: ImportProgress[] = [];
      const parties = await run(a, 'parties', PARTIES, {
        onProgress: (p) => events.push(p),
        progressIntervalMs: 0,
      });
      assert.deepEqual(parties.errors, []);
      assert.equal(parties.rowsRead, 4);
      assert.equal(parties.rowsWritten, 4);
      // progress: the validation, then the writing, ending with every row written
      assert.ok(events.some((e) => e.phase === 'validate' && e.rowsRead === 4));
      assert.equal(events.at(-1)?.phase, 'write');
      assert.equal(events.at(-1)?.rowsWritten, 4);
      assert.ok(events.every((e) => e.kind === 'parties' && e.rate >= 0 && e.seconds >= 0));

      assert.deepEqual((await run(a, 'accounts', ACCOUNTS)).errors, []);
      const usage = await run(a, 'usage', usageCsv(250), { batchSize: 40 });
      assert.deepEqual(usage.errors, []);
      assert.equal(usage.rowsWritten, 250);

      // Stored as the API stores them: TMF documents with contact media, @type last; columns derived.
      const ada = (await db.kysely
        .selectFrom('crm_parties')
        .selectAll()
        .where('tenant_id', '=', a)
        .where('id', '=', 'p-ada')
        .executeTakeFirstOrThrow()) as Record<string, unknown>;
      const doc = typeof ada.doc === 'string' ? JSON.parse(ada.doc) : ada.doc;
      assert.deepEqual(doc, {
        givenName: 'Ada',
        familyName: 'Lovelace',
        formattedName: 'Lovelace, Ada',
        birthDate: '1815-12-10T00:00:00Z',
        contactMedium: [
          { mediumType: 'email', characteristic: { emailAddress: 'ada@example.org' } },
          { mediumType: 'phone', characteristic: { phoneNumber: '+44 20 7946 0001' } },
          {
            mediumType: 'postalAddress',
            characteristic: {
              street1: "12 St James's Square\nFlat 3",
              city: 'London',
              postCode: 'SW1Y 4JH',
              country: 'GB',
            },
          },
        ],
        status: 'validated',
        '@type': 'Individual',
      });
      assert.equal(ada.name, 'Lovelace, Ada');
      assert.equal(ada.kind, 'Individual');
      const account = (await db.kysely
        .selectFrom('crm_accounts')
        .selectAll()
        .where('tenant_id', '=', a)
        .where('id', '=', 'a-acme')
        .executeTakeFirstOrThrow()) as Record<string, unknown>;
      assert.equal(account.holder_party_id, 'p-acme');
      assert.equal(account.agreement_id, 'agr-2');
      const accountDoc = typeof account.doc === 'string' ? JSON.parse(account.doc) : account.doc;
      assert.deepEqual(accountDoc.relatedParty, [
        { id: 'p-acme', name: 'Acme, Inc.', role: 'holder', '@referredType': 'Organization' },
      ]);

      const out: Record<string, string> = {};
      for (const kind of ['parties', 'accounts', 'usage'] as const) {
        out[kind] = await exported(db, a, kind);
        const again = await run(b, kind, out[kind] as string);
        assert.deepEqual(again.errors, [], kind);
      }
      for (const kind of ['parties', 'accounts', 'usage'] as const) {
        assert.equal(await exported(db, b, kind), out[kind], kind);
      }
      assert.match(out.parties as string, /"12 St James's Square\nFlat 3"/);
      assert.match(out.parties as string, /"1 Road, Unit ""B"""/);
      assert.equal((out.usage as string).trim().split('\n').length, 251);
      // the same documents in both tenants
      const docs = async (tenant: string) =>
        (
          (await db.kysely
            .selectFrom('crm_parties')
            .select(['id', 'doc', 'name', 'status', 'agreement_id'])
            .where('tenant_id', '=', tenant)
            .orderBy('id')
            .execute()) as Record<string, unknown>[]
        ).map((r) => ({ ...r, doc: typeof r.doc === 'string' ? JSON.parse(r.doc) : r.doc }));
      assert.deepEqual(await docs(b), await docs(a));
    });

    await t.test('export filters: usage of one account in a time range', async () => {
      const text = await exported(db, a, 'usage', {
        accountId: 'a-ada',
        from: '2026-03-01T00:10:00Z',
        to: '2026-03-01T00:20:00Z',
      });
      const rows = text.trim().split('\n').slice(1);
      assert.equal(rows.length, 5); // minutes 11, 13, 15, 17, 19
      assert.ok(rows.every((r) => r.includes(',a-ada,')));
      assert.deepEqual(
        rows.map((r) => r.split(',')[1]),
        ['11', '13', '15', '17', '19'].map((m) => `2026-03-01T00:${m}:00.000Z`),
      );
      const held = await exported(db, a, 'accounts', { partyId: 'p-ada' });
      assert.equal(held.trim().split('\n').length, 2);
      assert.throws(
        () => exportCsv(db, a, 'usage', { colour: 'red' }),
        (e: unknown) => e instanceof HttpProblem && e.status === 400 && e.field === 'colour',
      );
      assert.throws(
        () => exportCsv(db, a, 'usage', { from: 'yesterday' }),
        (e: unknown) => e instanceof HttpProblem && e.field === 'from',
      );
    });

    await t.test('one bad row among many: nothing is written, the row and column are named', async () => {
      const before = await count(db, 'crm_usage', a);
      const report = await run(
        a,
        'usage',
        usageCsv(3000, {
          row: 2718,
          line: 'voice,2026-02-30T10:00:00Z,60,,cell-1,0.1,EUR,a-ada,p-ada,,rated,',
        }),
        { batchSize: 500 },
      );
      assert.equal(report.rowsRead, 3000);
      assert.equal(report.rowsWritten, 0);
      assert.equal(report.rowsFailed, 1);
      assert.deepEqual(
        report.errors.map((e) => [e.row, e.column]),
        [[2718, 'usageDate']],
      );
      assert.match(report.errors[0]?.message ?? '', /does not exist|exists/);
      assert.equal(await count(db, 'crm_usage', a), before);

      // A bad row at the very end, after several batches were staged (or sent), also leaves nothing.
      const late = await run(
        a,
        'usage',
        usageCsv(3000, { row: 3001, line: 'fax,2026-03-01T10:00:00Z,,,,,,,,,,' }),
        {
          batchSize: 100,
        },
      );
      assert.deepEqual(
        late.errors.map((e) => [e.row, e.column]),
        [[3001, 'usageType']],
      );
      assert.equal(await count(db, 'crm_usage', a), before);
    });

    await t.test('every kind of row error is reported by row and column', async () => {
      const report = await run(
        a,
        'usage',
        'usageType,usageDate,durationSeconds,volumeBytes,charge,currency,accountId\n' +
          'voice,2026-03-01T10:00:00,60,,,,\n' + // no time zone
          'sms,2026-03-01T10:00:00Z,-1,,,,\n' + // negative duration
          'data,2026-03-01T10:00:00Z,,1.5,,,\n' + // not a whole number
          'voice,2026-03-01T10:00:00Z,,,"1,5",EUR,\n' + // decimal comma
          'voice,2026-03-01T10:00:00Z,,,1.5,,\n' + // charge without currency
          'voice,2026-03-01T10:00:00Z,,,,,no-such-account\n' +
          'voice,2026-03-01T10:00:00Z,,\n' + // too few fields
          '\n' + // blank: skipped
          ',,,,,,\n', // blank in a spreadsheet: skipped
      );
      assert.deepEqual(
        report.errors.map((e) => [e.row, e.column ?? null]),
        [
          [2, 'usageDate'],
          [3, 'durationSeconds'],
          [4, 'volumeBytes'],
          [5, 'charge'],
          [6, 'currency'],
          [8, null],
          [7, 'accountId'],
        ],
      );
      assert.equal(report.rowsRead, 7);
      assert.equal(report.rowsFailed, 7);

      const header = await run(a, 'parties', 'kind,givenName,surname\nIndividual,Al,Example\n');
      assert.deepEqual(
        header.errors.map((e) => [e.row, e.column]),
        [[1, 'surname']],
      );
      const parties = await run(
        a,
        'parties',
        'kind,id,givenName,familyName,name,birthDate,email,status\n' +
          'Person,,A,B,,,,\n' +
          'Individual,,A,,,,,\n' +
          'Individual,,A,B,,1980-13-01,,\n' +
          'Individual,,A,B,,,not-an-email,\n' +
          'Individual,,A,B,,,,happy\n' +
          'Individual,p-ada,A,B,,,,\n' + // the id exists already
          'Individual,p-new,A,B,,,,\n' +
          'Individual,p-new,A,B,,,,\n' + // the same id twice in the file
          'Organization,,,,,,,\n',
      );
      assert.deepEqual(
        parties.errors.map((e) => [e.row, e.column]),
        [
          [2, 'kind'],
          [3, 'familyName'],
          [4, 'birthDate'],
          [5, 'email'],
          [6, 'status'],
          [9, 'id'],
          [10, 'name'],
          [7, 'id'],
        ],
      );
      assert.match(
        parties.errors.find((e) => e.row === 6)?.message ?? '',
        /expected one of initialized, validated/,
      );
      assert.match(parties.errors.find((e) => e.row === 9)?.message ?? '', /row 8/);
      assert.equal(await count(db, 'crm_parties', a), 4);

      const syntax = await run(a, 'accounts', 'name,holderPartyId\nfine,p-ada\n"broken"x,p-ada\n');
      assert.deepEqual(
        syntax.errors.map((e) => e.row),
        [3],
      );
      assert.match(syntax.errors[0]?.message ?? '', /CSV syntax/);
      assert.deepEqual(
        (await run(a, 'usage', '')).errors.map((e) => e.row),
        [1],
      );
    });

    await t.test("a reference to another tenant's party or account is an error", async () => {
      const accounts = await run(b, 'accounts', 'name,holderPartyId\nMine,p-ada\nTheirs,p-cy\n');
      // p-ada exists in B (imported there above); p-cy exists nowhere
      assert.deepEqual(
        accounts.errors.map((e) => [e.row, e.column]),
        [[3, 'holderPartyId']],
      );
      const c = await createTenant(db, 'Telco C');
      const report = await run(
        c,
        'usage',
        'usageType,usageDate,accountId,partyId\nvoice,2026-03-01T10:00:00Z,a-ada,\nsms,2026-03-01T10:00:00Z,,p-acme\n',
      );
      assert.deepEqual(
        report.errors.map((e) => [e.row, e.column, e.message]),
        [
          [2, 'accountId', 'no account with id a-ada in this tenant'],
          [3, 'partyId', 'no party with id p-acme in this tenant'],
        ],
      );
      assert.equal(await count(db, 'crm_usage', c), 0);
    });

    await t.test('a dry run validates and writes nothing; the default agreement applies', async () => {
      const before = await count(db, 'crm_usage', a);
      const dry = await run(a, 'usage', usageCsv(100), { dryRun: true });
      assert.equal(dry.dryRun, true);
      assert.equal(dry.rowsRead, 100);
      assert.equal(dry.rowsWritten, 0);
      assert.deepEqual(dry.errors, []);
      assert.equal(await count(db, 'crm_usage', a), before);
      const c = await createTenant(db, 'Telco D');
      await run(
        c,
        'parties',
        'kind,givenName,familyName,agreementId\nIndividual,A,B,\nIndividual,C,D,own\n',
        {
          agreementId: 'agr-default',
        },
      );
      const agreements = (await db.kysely
        .selectFrom('crm_parties')
        .select('agreement_id')
        .where('tenant_id', '=', c)
        .orderBy('agreement_id')
        .execute()) as { agreement_id: string }[];
      assert.deepEqual(
        agreements.map((r) => r.agreement_id),
        ['agr-default', 'own'],
      );
    });
  });
}
