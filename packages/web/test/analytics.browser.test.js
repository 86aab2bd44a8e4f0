// The agent desktop's Analytics screen in a real browser (Debian's Chromium through playwright-core), against a
// real CRM on a loopback port serving the built desktop: a seeded telco of 400 accounts, churned by
// simulateChurn (known hazards), its SLAs evaluated. Each chart must show what its API returned (as many
// survival curves as groups and the log-rank p, the churn model's covariates, segment sizes that add up to the
// members listed, one QoE bar per entity and its violations on selection, the funnel's numbers), and each
// exports its data as CSV (header line, one row per datum) and its drawing as PNG (by its signature bytes).
// Screenshots, and the PNGs the charts exported (export-*.png), go to test-artifacts/analytics/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Party } from '@parley/protocol';
import { openDatabase } from '@parley/store';
import { addApiKey, buildCrmServer, createTenant, seedTelco, simulateChurn } from '@parley/crm';
import { crmDesktopDir } from '@parley/web';
import { apiClient, artifactsDir, checkPrerequisites, openPage, scratch } from '../testing/browser.js';

const { fetch, URL } = globalThis;
const ARTIFACTS = artifactsDir('analytics', true);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

checkPrerequisites(crmDesktopDir);

/** A CRM on loopback serving the built desktop, with one tenant and its admin key; stops with the cleanups. */
async function startCrm(dir, cleanups) {
  const db = openDatabase({ url: join(dir, 'crm.db'), synchronous: 'normal' });
  cleanups.push(() => db.close());
  const app = await buildCrmServer({
    db,
    vendorKey: Party.generate('analytics-test-crm'),
    ledger: { url: join(dir, 'ledger.db'), origin: 'analytics-test/ledger' },
    escalationIntervalMs: 0,
    retentionIntervalMs: 0,
    intentFeedPollMs: 0,
    desktopDir: crmDesktopDir,
  });
  const crmUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  const tenantId = await createTenant(db, 'Acme Telco');
  const key = await addApiKey(db, tenantId, 'admin', 'analytics test');
  return { db, crmUrl, tenantId, key };
}

/** The p-value as the screen writes it. */
const pText = (p) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/** Lines of a CSV file (RFC 4180, no quoted line breaks in ours). */
const csvLines = (text) => text.split('\r\n').filter((line) => line !== '');

test(
  'analytics: survival, churn model, segments, QoE against SLA, self-care, satisfaction; CSV and PNG exports',
  { timeout: 300_000 },
  async (t) => {
    const { dir, cleanups } = scratch(t, 'analytics');
    const { db, crmUrl, tenantId, key } = await startCrm(dir, cleanups);
    await seedTelco(db, tenantId, { accounts: 400, seed: 'analytics', threads: 1 });
    const churn = await simulateChurn(db, tenantId, { seed: 'analytics' });
    assert.ok(churn.closed > 20, `simulateChurn closed ${churn.closed} of ${churn.accounts} accounts`);
    const api = apiClient(crmUrl, key);
    const evaluation = await api('POST', '/crm/v1/sla/evaluation', {});
    assert.equal(evaluation.status, 200, JSON.stringify(evaluation.body));
    const fitted = await api('POST', '/crm/v1/analytics/churnModel');
    assert.equal(fitted.status, 201, JSON.stringify(fitted.body));
    const firstFit = fitted.body;

    const openapi = await (await fetch(`${crmUrl}/openapi.json`)).json();
    const has = (path) => Object.hasOwn(openapi.paths, path);
    for (const path of [
      '/crm/v1/analytics/survival',
      '/crm/v1/analytics/churnModel',
      '/crm/v1/analytics/segmentations',
      '/crm/v1/analytics/qoe',
      '/crm/v1/analytics/selfcare/wasted',
    ])
      assert.ok(has(path), `the CRM has ${path}`);

    const { page, shot, steps } = await openPage(cleanups, {
      artifacts: ARTIFACTS,
      prefix: 'analytics',
      viewport: { width: 1360, height: 900 },
      acceptDownloads: true,
      timeout: 20_000,
    });
    let downloads = 0;
    /** Clicks an export button and returns the downloaded file's name and bytes. */
    const exported = async (button) => {
      const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
      const path = join(dir, `download-${++downloads}`);
      await download.saveAs(path);
      return { name: download.suggestedFilename(), bytes: readFileSync(path) };
    };
    const checkCsv = async (frame, header, rows) => {
      const { name, bytes } = await exported(frame.getByRole('button', { name: /Export CSV/ }));
      assert.match(name, /\.csv$/);
      const lines = csvLines(bytes.toString('utf8'));
      assert.equal(lines[0], header, `${name}: its first line`);
      assert.equal(lines.length - 1, rows, `${name}: one row per datum`);
      return lines;
    };
    const checkPng = async (frame) => {
      const { name, bytes } = await exported(frame.getByRole('button', { name: /Export PNG/ }));
      assert.match(name, /\.png$/);
      assert.ok(bytes.length > 1000, `${name}: ${bytes.length} bytes`);
      assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE, `${name} is a PNG`);
      writeFileSync(join(ARTIFACTS, `export-${name}`), bytes);
      // Its size: the chart's viewBox, twice (IHDR width and height, big-endian at bytes 16 and 20).
      return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
    };
    const report = [];

    await steps(async () => {
      await page.goto(`${crmUrl}/desktop/`);
      await page.getByLabel('Staff API key').fill(key);
      await page.getByTestId('sign-in-submit').click();
      await page.getByTestId('nav-analytics').click();
      await page.getByRole('heading', { level: 1, name: 'Analytics' }).waitFor();
      assert.equal(await page.title(), 'Analytics: Parley agent desktop');

      // Survival by plan: one curve (and legend entry) per group, the log-rank p as the API gives it.
      const survival = (await api('GET', '/crm/v1/analytics/survival?by=plan&confType=log')).body;
      assert.ok(survival.curves.length >= 2, 'more than one plan');
      const survivalChart = page.getByTestId('survival-chart');
      await survivalChart.waitFor();
      assert.equal(await survivalChart.getByTestId('survival-curve').count(), survival.curves.length);
      assert.equal(await survivalChart.getByTestId('survival-legend').count(), survival.curves.length);
      for (const curve of survival.curves)
        assert.match(
          await survivalChart
            .locator(`[data-testid="survival-legend"][data-group="${curve.group}"]`)
            .textContent(),
          new RegExp(`n ${curve.n} · events ${curve.events} · median`),
        );
      assert.ok(survival.logRank, 'two groups or more: a log-rank test');
      const pShown = await page.getByTestId('survival-p').innerText();
      assert.ok(
        pShown.includes(pText(survival.logRank.p)),
        `"${pShown}" states ${pText(survival.logRank.p)}`,
      );
      assert.equal(
        await survivalChart.locator('svg text', { hasText: pText(survival.logRank.p) }).count(),
        1,
      );
      const survivalRows = survival.curves.reduce((n, c) => n + c.times.length, 0);
      await checkCsv(survivalChart, 'group,time,atRisk,events,censored,survival,lower,upper', survivalRows);
      const png = await checkPng(survivalChart);
      assert.deepEqual(png, { width: 1760, height: 680 }, 'the PNG is the chart at twice its size');
      report.push(
        `survival: ${survival.curves.length} curves, ${pText(survival.logRank.p)}, ${survivalRows} CSV rows`,
      );
      await shot('survival', page.getByTestId('survival'));

      // By account type, and all accounts (one curve, no test).
      const all = (await api('GET', '/crm/v1/analytics/survival?by=all&confType=log')).body;
      await page.getByTestId('survival-by').selectOption('all');
      await page.getByTestId('survival-p').filter({ hasText: 'One group' }).waitFor();
      assert.equal(await survivalChart.getByTestId('survival-curve').count(), all.curves.length);
      await page.getByTestId('survival-by').selectOption('plan');
      await page.getByTestId('survival-p').filter({ hasText: 'Log-rank' }).waitFor();

      // The churn model: fitted once through the API before the screen opened (a CRM without a model answers
      // GET with 404, which Chromium logs as a console error), fitted again from the screen; a row per
      // covariate, the concordance.
      const forest = page.getByTestId('forest-plot');
      await forest.waitFor();
      await page.getByTestId('churn-fit').click();
      await page.locator(`[data-testid="churn-summary"]:not([data-model-id="${firstFit.id}"])`).waitFor();
      const model = (await api('GET', '/crm/v1/analytics/churnModel')).body;
      assert.notEqual(model.id, firstFit.id, 'the screen fitted a new model');
      assert.ok(
        (await page.getByTestId('churn-summary').innerText()).includes(
          `${model.subjects} accounts, ${model.churned} closed`,
        ),
      );
      assert.equal(await forest.getByTestId('forest-row').count(), model.fit.covariates.length);
      assert.equal(await page.getByTestId('churn-row').count(), model.fit.covariates.length);
      assert.equal(await page.getByTestId('churn-concordance').innerText(), model.fit.concordance.toFixed(3));
      const forestLines = await checkCsv(
        forest,
        'covariate,coef,se,hazardRatio,hazardRatioLower,hazardRatioUpper,p',
        model.fit.covariates.length,
      );
      const first = model.fit.covariates[0];
      assert.equal(
        forestLines[1],
        [
          first,
          model.fit.coef[first],
          model.fit.se[first],
          model.fit.hazardRatio[first],
          model.fit.hazardRatioLower[first],
          model.fit.hazardRatioUpper[first],
          model.fit.p[first],
        ].join(','),
      );
      await checkPng(forest);
      report.push(
        `churn model: ${model.fit.covariates.length} covariates, concordance ${model.fit.concordance.toFixed(3)}`,
      );
      await shot('churn-model', page.getByTestId('churn'));

      // Segments: k-means with k by silhouette, run from the screen; the sizes add up to the members listed.
      await page.getByTestId('segments-run').click();
      const segmentMap = page.getByTestId('segment-map');
      await segmentMap.waitFor();
      await page.getByTestId('segments-members').waitFor();
      const segmentationId = await page.evaluate(() =>
        globalThis.sessionStorage.getItem('parley.desktop.segmentation'),
      );
      const segmentation = (await api('GET', `/crm/v1/analytics/segmentations/${segmentationId}`)).body;
      assert.equal(await segmentMap.getByTestId('segment-bubble').count(), segmentation.segments.length);
      let members = 0;
      for (const segment of segmentation.segments) {
        const listed = await api(
          'GET',
          `/crm/v1/analytics/segmentations/${segmentationId}/segments/${segment.id}/members?limit=1000`,
        );
        assert.equal(listed.status, 200);
        members += listed.body.length;
        const row = page.locator(`[data-testid="segment-row"][data-segment="${segment.id}"]`);
        assert.equal(await row.getByTestId('segment-size').innerText(), String(segment.size));
        assert.equal(await row.getByTestId('segment-members').innerText(), String(listed.body.length));
        assert.ok((await row.innerText()).includes(segment.description), 'each profile has its sentence');
      }
      const sizes = segmentation.segments.reduce((n, s) => n + s.size, 0);
      assert.equal(sizes, members, 'the segment sizes add up to the members');
      assert.equal(await page.getByTestId('segments-total').innerText(), String(sizes));
      assert.equal(await page.getByTestId('segments-members').innerText(), String(members));
      await page.getByTestId('segment-x').selectOption('tenureDays');
      await segmentMap.locator('title', { hasText: 'tenureDays' }).waitFor({ state: 'attached' });
      await checkCsv(
        segmentMap,
        ['segment', 'label', 'size', 'members', ...segmentation.features.map((f) => `${f}Mean`)].join(','),
        segmentation.segments.length,
      );
      await checkPng(segmentMap);
      report.push(
        `segments: k = ${segmentation.k}, sizes ${segmentation.segments.map((s) => s.size).join('+')} = ${members} members`,
      );
      await shot('segments', page.getByTestId('segments'));

      // QoE against SLA by cell: a bar per entity on the page; a bar with violations lists them with evidence.
      const qoe = (await api('GET', '/crm/v1/analytics/qoe?by=cell&limit=50')).body;
      const qoeChart = page.getByTestId('qoe-compliance');
      await qoeChart.waitFor();
      assert.equal(await qoeChart.getByTestId('qoe-bar').count(), qoe.items.length);
      const violating = qoe.items.find((i) => i.violations.length > 0);
      assert.ok(violating, 'after the SLA evaluation some cell has violations');
      await qoeChart.locator(`[data-testid="qoe-bar"][data-id="${violating.id}"]`).click();
      const listed = page.getByTestId('qoe-violations');
      await listed.waitFor();
      assert.equal(await listed.getByTestId('qoe-violation').count(), violating.violations.length);
      assert.equal(
        await listed.getByTestId('qoe-evidence').count(),
        violating.violations.reduce((n, v) => n + (v.evidence ?? []).length, 0),
      );
      await checkCsv(qoeChart, 'by,id,name,samples,services,compliance,violations', qoe.items.length);
      await checkPng(qoeChart);
      report.push(
        `qoe: ${qoe.items.length} cells, ${violating.id} with ${violating.violations.length} violations`,
      );
      await shot('qoe-sla', page.getByTestId('qoe-sla'));
      // By service: the chart follows.
      const byService = (await api('GET', '/crm/v1/analytics/qoe?by=service&limit=50')).body;
      await page.getByTestId('qoe-by').selectOption('service');
      await qoeChart.locator(`[data-testid="qoe-bar"][data-id="${byService.items[0].id}"]`).waitFor();
      assert.equal(await qoeChart.getByTestId('qoe-bar').count(), byService.items.length);

      // Self-care: the funnel's numbers, the wasted rate per page.
      const wasted = (await api('GET', '/crm/v1/analytics/selfcare/wasted')).body;
      const funnel = page.getByTestId('selfcare-funnel');
      await funnel.waitFor();
      for (const [stage, count] of Object.entries(wasted.funnel)) {
        assert.equal(
          await funnel.locator(`[data-stage="${stage}"]`).getAttribute('data-count'),
          String(count),
        );
        assert.equal(await page.getByTestId(`funnel-${stage}`).innerText(), String(count));
      }
      assert.match(
        await page.getByTestId('selfcare-summary').innerText(),
        new RegExp(`^${wasted.sessions} sessions .*${wasted.wasted} wasted`),
      );
      const byPage = page.getByTestId('wasted-by-page');
      assert.equal(await byPage.getByTestId('wasted-page').count(), wasted.byPage.length);
      const funnelLines = await checkCsv(funnel, 'stage,count', Object.keys(wasted.funnel).length);
      assert.equal(funnelLines[1], `pageViews,${wasted.funnel.pageViews}`);
      await checkCsv(
        byPage,
        ['page', 'sessions', 'wasted', 'rate', ...Object.keys(wasted.byCause)].join(','),
        wasted.byPage.length,
      );
      await checkPng(funnel);
      await checkPng(byPage);
      report.push(
        `self-care: ${wasted.sessions} sessions, ${wasted.wasted} wasted, ${wasted.byPage.length} pages`,
      );
      await shot('selfcare', page.getByTestId('selfcare'));

      // Satisfaction, when the CRM has it.
      if (has('/crm/v1/analytics/satisfaction/summary')) {
        const satisfaction = (await api('GET', '/crm/v1/analytics/satisfaction/summary')).body;
        const chart = page.getByTestId('satisfaction-chart');
        await chart.waitFor();
        assert.equal(
          await chart.getByTestId('satisfaction-signal').count(),
          Object.keys(satisfaction.contributions).length,
        );
        assert.match(
          await page.getByTestId('satisfaction-summary').innerText(),
          new RegExp(`^${satisfaction.customers} customers`),
        );
        await checkCsv(chart, 'signal,meanEvents,meanPoints', Object.keys(satisfaction.contributions).length);
        await checkPng(chart);
        await shot('satisfaction', page.getByTestId('satisfaction'));
      } else await page.getByTestId('satisfaction-not-available').waitFor();

      await page.evaluate(() => globalThis.scrollTo(0, 0));
      await shot('screen');
      // The screen is bookmarkable: a reload lands on it, the segmentation remembered in the tab.
      await page.reload();
      await page.getByTestId('segment-map').waitFor();
    });
    t.diagnostic(report.join('; '));
  },
);

test(
  'analytics: on a CRM without the analytics endpoints, each part says it is not available',
  { timeout: 120_000 },
  async (t) => {
    const { dir, cleanups } = scratch(t, 'analytics');
    const { crmUrl, key } = await startCrm(dir, cleanups);
    const { page, errors } = await openPage(cleanups, {
      artifacts: ARTIFACTS,
      prefix: 'analytics-not-available',
      viewport: { width: 1360, height: 900 },
    });
    await page.route('**/openapi.json', async (route) => {
      const response = await route.fetch();
      const doc = await response.json();
      const kept = Object.entries(doc.paths).filter(([path]) => !path.startsWith('/crm/v1/analytics/'));
      await route.fulfill({ response, json: { ...doc, paths: Object.fromEntries(kept) } });
    });
    const called = [];
    page.on(
      'request',
      (r) => new URL(r.url()).pathname.startsWith('/crm/v1/analytics/') && called.push(r.url()),
    );
    await page.goto(`${crmUrl}/desktop/#/analytics`);
    await page.getByLabel('Staff API key').fill(key);
    await page.getByTestId('sign-in-submit').click();
    for (const part of ['survival', 'churn', 'segments', 'qoe-sla', 'selfcare', 'satisfaction'])
      await page.getByTestId(`${part}-not-available`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'analytics-not-available.png'), fullPage: true });
    assert.deepEqual(called, [], 'no call to an endpoint the CRM does not list');
    assert.deepEqual(errors, []);
  },
);
