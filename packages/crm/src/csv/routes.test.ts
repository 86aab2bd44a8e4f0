import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';

const IMPORT = '/crm/v1/import';
const EXPORT = '/crm/v1/export';

async function post(
  api: TestApi,
  key: string,
  url: string,
  csv: string,
  headers: Record<string, string> = {},
) {
  const r = await api.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv; charset=utf-8', ...headers },
    payload: csv,
  });
  return {
    status: r.statusCode,
    type: String(r.headers['content-type']),
    body: JSON.parse(r.body) as Record<string, unknown>,
  };
}

async function get(api: TestApi, key: string, url: string) {
  const r = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  return { status: r.statusCode, type: String(r.headers['content-type']), body: r.body, headers: r.headers };
}

for (const database of testDatabases()) {
  test(`${database.name}: CSV import and export over HTTP`, async (t) => {
    const api = await startTestApi(database, { csvBodyLimit: 64 * 1024 });
    t.after(() => api.close());
    const { keys } = api;

    const parties =
      'kind,id,givenName,familyName,email\nIndividual,p-1,Ada,Example,ada@example.org\nIndividual,p-2,Bo,Example,\n';
    const dry = await post(api, keys.a, `${IMPORT}/parties?dryRun=true`, parties);
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal(dry.body.rowsRead, 2);
    assert.equal(dry.body.rowsWritten, 0);

    const ok = await post(api, keys.a, `${IMPORT}/parties`, parties, { 'parley-agreement': 'agr-7' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(
      { rowsRead: ok.body.rowsRead, rowsWritten: ok.body.rowsWritten, errors: ok.body.errors },
      { rowsRead: 2, rowsWritten: 2, errors: [] },
    );
    assert.equal(typeof ok.body.seconds, 'number');

    // The imported party is what the TMF632 API serves.
    const ada = await api.call(keys.a, 'GET', '/tmf-api/party/v4/individual/p-1');
    assert.equal(ada.status, 200);
    assert.equal(ada.body?.givenName, 'Ada');
    assert.equal(ada.body?.href, '/tmf-api/party/v4/individual/p-1');
    assert.deepEqual(ada.body?.contactMedium, [
      { mediumType: 'email', characteristic: { emailAddress: 'ada@example.org' } },
    ]);
    // ... and tenant B does not see it.
    assert.equal((await api.call(keys.b, 'GET', '/tmf-api/party/v4/individual/p-1')).status, 404);

    const bad = await post(api, keys.a, `${IMPORT}/accounts`, 'name,holderPartyId\nFamily,p-1\nOther,p-9\n');
    assert.equal(bad.status, 422);
    assert.match(bad.type, /application\/problem\+json/);
    assert.equal(bad.body.title, 'Unprocessable Entity');
    assert.deepEqual(bad.body.errors, [
      { row: 3, column: 'holderPartyId', message: 'no party with id p-9 in this tenant' },
    ]);
    assert.equal(bad.body.rowsWritten, 0);
    assert.match(String(bad.body.detail), /nothing was written/);
    const none = await get(api, keys.a, `${EXPORT}/accounts`);
    assert.equal(none.body, 'id,name,accountType,state,holderPartyId,agreementId\n');

    // Tenant B's agent cannot refer to tenant A's party.
    const foreign = await post(api, keys.b, `${IMPORT}/accounts`, 'name,holderPartyId\nTheirs,p-1\n');
    assert.equal(foreign.status, 422);

    const exported = await get(api, keys.aRead, `${EXPORT}/parties`);
    assert.equal(exported.status, 200);
    assert.match(exported.type, /^text\/csv/);
    assert.match(String(exported.headers['content-disposition']), /parties\.csv/);
    assert.equal(
      exported.body,
      'kind,id,givenName,familyName,name,tradingName,birthDate,email,phone,street,city,postCode,country,status,agreementId\n' +
        'Individual,p-1,Ada,Example,,,,ada@example.org,,,,,,,agr-7\n' +
        'Individual,p-2,Bo,Example,,,,,,,,,,,agr-7\n',
    );

    // Roles, media types, sizes, filters.
    assert.equal((await post(api, keys.aRead, `${IMPORT}/parties`, parties)).status, 403);
    const json = await api.call(keys.a, 'POST', `${IMPORT}/usage`, { usageType: 'voice' });
    assert.equal(json.status, 415);
    assert.equal((await post(api, keys.a, `${IMPORT}/invoices`, parties)).status, 400);
    const big = `usageType,usageDate\n${'voice,2026-03-01T10:00:00Z\n'.repeat(4000)}`;
    const tooBig = await post(api, keys.a, `${IMPORT}/usage`, big);
    assert.equal(tooBig.status, 413);
    assert.equal((await get(api, keys.a, `${EXPORT}/usage?colour=red`)).status, 400);
    assert.equal((await get(api, keys.a, `${EXPORT}/usage?from=2026-03-01&accountId=x`)).status, 200);

    // In the OpenAPI document.
    const doc = JSON.parse((await api.app.inject({ method: 'GET', url: '/openapi.json' })).body) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    assert.deepEqual(doc.paths[`${IMPORT}/{kind}`]?.post?.tags, ['CSV import and export']);
    assert.ok(doc.paths[`${EXPORT}/{kind}`]?.get);
  });
}
