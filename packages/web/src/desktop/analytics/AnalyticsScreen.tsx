import { useEffect, useState } from 'react';
import { describeError, PATHS } from '../api';
import { useDesktop } from '../desktop';
import { dateTime } from '../format';
import { useLoad } from '../hooks';
import { ErrorMessage, Loading, NotAvailable } from '../components/Messages';
import { num, percent, pText } from './ChartFrame';
import { ForestPlot } from './ForestPlot';
import { QoeComplianceChart } from './QoeComplianceChart';
import { SatisfactionChart } from './SatisfactionChart';
import { SegmentMap } from './SegmentMap';
import { funnelStages, FunnelChart, WastedByPageChart } from './SelfcareCharts';
import { SurvivalChart } from './SurvivalChart';
import type { ChurnModel, QoeItem, Segmentation } from './types';
import { ApiError } from '../api';

/**
 * Analytics where people look (docs/analytics.md): survival curves, the churn model's hazard ratios, the
 * segment map, QoE against SLA, the self-care funnel and satisfaction. Each chart exports its data as CSV and
 * its drawing as PNG; each part whose endpoint the CRM lacks says so.
 */
export function AnalyticsScreen() {
  return (
    <>
      <h1>Analytics</h1>
      <p className="help">
        Computed only on customers whose agreements allow service analytics; the others are counted as
        excluded.
      </p>
      <SurvivalSection />
      <ChurnSection />
      <SegmentSection />
      <QoeSection />
      <SelfcareSection />
      <SatisfactionSection />
    </>
  );
}

function excludedText(excluded: Record<string, number> | undefined): string {
  const parts = Object.entries(excluded ?? {}).filter(([, n]) => n > 0);
  return parts.length ? `Excluded: ${parts.map(([k, n]) => `${n} ${k}`).join(', ')}.` : 'None excluded.';
}

function SurvivalSection() {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.survival);
  const [by, setBy] = useState('plan');
  const survival = useLoad(() => (available ? api.survival(by) : undefined), [api, available, by]);
  const s = survival.data;
  return (
    <section aria-labelledby="survival-heading" data-testid="survival">
      <h2 id="survival-heading">Account survival</h2>
      {!available && (
        <NotAvailable what="Survival" endpoint={PATHS.survival} testId="survival-not-available" />
      )}
      {available && (
        <div className="field inline">
          <label htmlFor="survival-by">Curves by</label>
          <select
            id="survival-by"
            value={by}
            onChange={(e) => setBy(e.target.value)}
            data-testid="survival-by"
          >
            <option value="plan">plan</option>
            <option value="accountType">account type</option>
            <option value="all">all accounts</option>
          </select>
        </div>
      )}
      <ErrorMessage message={survival.error} testId="survival-error" />
      {available && !s && !survival.error && <Loading what="survival" />}
      {s && (
        <>
          <p className="summary" data-testid="survival-summary">
            {s.subjects} accounts, {s.curves.reduce((n, c) => n + c.events, 0)} closed.{' '}
            <span data-testid="survival-p" data-p={s.logRank?.p ?? ''}>
              {s.logRank
                ? `Log-rank test: χ² = ${s.logRank.chiSquare.toFixed(2)} on ${s.logRank.df} df, ${pText(s.logRank.p)}${s.logRank.p < 0.05 ? ': the groups differ.' : ': no evidence the groups differ.'}`
                : 'One group: no log-rank test.'}
            </span>{' '}
            {excludedText(s.excluded)}
          </p>
          <SurvivalChart survival={s} />
          <table data-testid="survival-table">
            <caption className="visually-hidden">Survival by {s.by}</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">n</th>
                <th scope="col">Events</th>
                <th scope="col">Median (days)</th>
                <th scope="col">95% CI of the median</th>
              </tr>
            </thead>
            <tbody>
              {s.curves.map((c) => (
                <tr key={c.group}>
                  <td>{c.group}</td>
                  <td>{c.n}</td>
                  <td>{c.events}</td>
                  <td>{c.median === null ? 'not reached' : num(c.median)}</td>
                  <td>
                    {num(c.medianLower)}–{c.medianUpper === null ? '∞' : num(c.medianUpper)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function ChurnSection() {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.churnModel);
  const [fitted, setFitted] = useState<ChurnModel | null>(null);
  const [fitting, setFitting] = useState(false);
  const [fitError, setFitError] = useState<string | null>(null);
  const model = useLoad(
    () =>
      available
        ? api.churnModel().catch((e: unknown) => {
            if (e instanceof ApiError && e.status === 404) return null;
            throw e;
          })
        : undefined,
    [api, available],
  );
  const m = fitted ?? model.data;
  const fit = async () => {
    setFitting(true);
    try {
      setFitted(await api.fitChurnModel());
      setFitError(null);
    } catch (e) {
      setFitError(describeError(e));
    } finally {
      setFitting(false);
    }
  };
  return (
    <section aria-labelledby="churn-heading" data-testid="churn">
      <h2 id="churn-heading">Churn model</h2>
      {!available && (
        <NotAvailable what="The churn model" endpoint={PATHS.churnModel} testId="churn-not-available" />
      )}
      <ErrorMessage message={model.error ?? fitError} testId="churn-error" />
      {available && model.loading && !m && <Loading what="the churn model" />}
      {available && !model.loading && (
        <p>
          {!m && <span data-testid="churn-none">No churn model is fitted yet. </span>}
          <button type="button" onClick={() => void fit()} disabled={fitting} data-testid="churn-fit">
            {fitting ? 'Fitting…' : m ? 'Fit again on today’s accounts' : 'Fit the churn model'}
          </button>
        </p>
      )}
      {m && (
        <>
          <p className="summary" data-testid="churn-summary" data-model-id={m.id}>
            Cox proportional hazards ({m.fit.ties ?? 'efron'} ties) on {m.subjects} accounts, {m.churned}{' '}
            closed, fitted {dateTime(m.fittedAt)}. Concordance{' '}
            <strong data-testid="churn-concordance">{m.fit.concordance.toFixed(3)}</strong>
            {m.fit.likelihoodRatio &&
              `; likelihood ratio test ${m.fit.likelihoodRatio.statistic.toFixed(1)} on ${m.fit.likelihoodRatio.df} df, ${pText(m.fit.likelihoodRatio.p)}`}
            .
          </p>
          <ForestPlot model={m} />
          <table data-testid="churn-table">
            <caption className="visually-hidden">The churn model's coefficients</caption>
            <thead>
              <tr>
                <th scope="col">Covariate</th>
                <th scope="col">coef</th>
                <th scope="col">SE</th>
                <th scope="col">Hazard ratio</th>
                <th scope="col">95% CI</th>
                <th scope="col">p</th>
              </tr>
            </thead>
            <tbody>
              {m.fit.covariates.map((c) => (
                <tr key={c} data-testid="churn-row">
                  <td>{c}</td>
                  <td>{num(m.fit.coef[c], 4)}</td>
                  <td>{num(m.fit.se[c], 4)}</td>
                  <td>{num(m.fit.hazardRatio[c])}</td>
                  <td>
                    {num(m.fit.hazardRatioLower[c])}–{num(m.fit.hazardRatioUpper[c])}
                  </td>
                  <td>{pText(m.fit.p[c] ?? 1).replace(/^p [=<] /, (x) => (x.includes('<') ? '< ' : ''))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

const SEGMENTATION_KEY = 'parley.desktop.segmentation';

function SegmentSection() {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.segmentations) && caps.has(PATHS.segmentation);
  const [id, setId] = useState<string | null>(() => sessionStorage.getItem(SEGMENTATION_KEY));
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const [xFeature, setX] = useState('monetary30d');
  const [yFeature, setY] = useState('recencyDays');
  const segmentation = useLoad(
    () => (available && id ? api.segmentation(id) : undefined),
    [api, available, id],
  );
  const s = segmentation.data;
  const hasMembers = caps.has(PATHS.segmentMembers);
  const members = useLoad(async () => {
    if (!s || !hasMembers) return undefined;
    const counts: Record<string, number> = {};
    for (const g of s.segments) counts[g.id] = (await api.segmentMembers(s.id, g.id)).length;
    return counts;
  }, [api, s, hasMembers]);
  useEffect(() => {
    if (!s) return;
    if (!s.features.includes(xFeature)) setX(s.features[0] ?? xFeature);
    if (!s.features.includes(yFeature)) setY(s.features[1] ?? yFeature);
  }, [s, xFeature, yFeature]);
  const run = async () => {
    setRunning(true);
    try {
      const next: Segmentation = await api.segment();
      sessionStorage.setItem(SEGMENTATION_KEY, next.id);
      setId(next.id);
      setRunError(null);
    } catch (e) {
      setRunError(describeError(e));
    } finally {
      setRunning(false);
    }
  };
  const total = s?.segments.reduce((n, g) => n + g.size, 0) ?? 0;
  const memberTotal = members.data ? Object.values(members.data).reduce((n, v) => n + v, 0) : null;
  return (
    <section aria-labelledby="segments-heading" data-testid="segments">
      <h2 id="segments-heading">Segment map</h2>
      {!available && (
        <NotAvailable what="Segmentation" endpoint={PATHS.segmentations} testId="segments-not-available" />
      )}
      <ErrorMessage message={segmentation.error ?? runError ?? members.error} testId="segments-error" />
      {available && (
        <p>
          {!id && <span data-testid="segments-none">No segmentation on this screen yet. </span>}
          <button type="button" onClick={() => void run()} disabled={running} data-testid="segments-run">
            {running ? 'Segmenting…' : 'Segment the customers (k-means, k by silhouette)'}
          </button>
        </p>
      )}
      {s && (
        <>
          <p className="summary" data-testid="segments-summary">
            {s.method === 'kmeans' ? 'k-means' : s.method}, k = {s.k}
            {typeof s.silhouette === 'number' && ` (silhouette ${s.silhouette.toFixed(3)})`}:{' '}
            <strong data-testid="segments-total">{total}</strong> customers in {s.segments.length} segments
            {memberTotal !== null && (
              <>
                , <span data-testid="segments-members">{memberTotal}</span> members listed
              </>
            )}
            . {excludedText((s as { excluded?: Record<string, number> }).excluded)}
          </p>
          <div className="filters">
            <div className="field inline">
              <label htmlFor="segment-x">Across</label>
              <select
                id="segment-x"
                value={xFeature}
                onChange={(e) => setX(e.target.value)}
                data-testid="segment-x"
              >
                {s.features.map((f) => (
                  <option key={f}>{f}</option>
                ))}
              </select>
            </div>
            <div className="field inline">
              <label htmlFor="segment-y">Up</label>
              <select
                id="segment-y"
                value={yFeature}
                onChange={(e) => setY(e.target.value)}
                data-testid="segment-y"
              >
                {s.features.map((f) => (
                  <option key={f}>{f}</option>
                ))}
              </select>
            </div>
          </div>
          <p className="help">
            Members come as party ids without their features, so each segment is one bubble at its profile’s
            means, its area its size.
          </p>
          <SegmentMap segmentation={s} xFeature={xFeature} yFeature={yFeature} members={members.data ?? {}} />
          <table data-testid="segments-table">
            <caption className="visually-hidden">The segments and their profiles</caption>
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col">Size</th>
                <th scope="col">Members</th>
                <th scope="col">Profile</th>
              </tr>
            </thead>
            <tbody>
              {s.segments.map((g) => (
                <tr key={g.id} data-testid="segment-row" data-segment={g.id}>
                  <td>{g.label}</td>
                  <td data-testid="segment-size">{g.size}</td>
                  <td data-testid="segment-members">{members.data?.[g.id] ?? '…'}</td>
                  <td>{g.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

const QOE_BY = ['cell', 'service', 'account', 'user', 'group'] as const;

function QoeSection() {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.analyticsQoe);
  const [by, setBy] = useState<string>('cell');
  const [after, setAfter] = useState<string[]>([]);
  const [selected, setSelected] = useState<QoeItem | null>(null);
  const page = after[after.length - 1];
  const report = useLoad(
    () => (available ? api.analyticsQoe(by, page) : undefined),
    [api, available, by, page],
  );
  const r = report.data;
  useEffect(() => setSelected(null), [by, page]);
  return (
    <section aria-labelledby="qoe-heading" data-testid="qoe-sla">
      <h2 id="qoe-heading">QoE against SLA</h2>
      {!available && (
        <NotAvailable what="QoE against SLA" endpoint={PATHS.analyticsQoe} testId="qoe-sla-not-available" />
      )}
      {available && (
        <div className="filters">
          <div className="field inline">
            <label htmlFor="qoe-by">By</label>
            <select
              id="qoe-by"
              value={by}
              onChange={(e) => {
                setBy(e.target.value);
                setAfter([]);
              }}
              data-testid="qoe-by"
            >
              {QOE_BY.map((b) => (
                <option key={b}>{b}</option>
              ))}
            </select>
          </div>
          <button
            type="button"
            className="secondary small"
            disabled={after.length === 0}
            onClick={() => setAfter(after.slice(0, -1))}
          >
            Previous page
          </button>
          <button
            type="button"
            className="secondary small"
            disabled={!r?.next}
            onClick={() => r?.next && setAfter([...after, r.next])}
            data-testid="qoe-next"
          >
            Next page
          </button>
        </div>
      )}
      <ErrorMessage message={report.error} testId="qoe-sla-error" />
      {available && !r && !report.error && <Loading what="QoE against SLA" />}
      {r && (
        <>
          <p className="summary" data-testid="qoe-sla-summary">
            {r.items.length} {by}s on this page, {dateTime(r.from)} to {dateTime(r.to)} (
            {r.basis ?? 'average'} against the target):{' '}
            {r.items.filter((i) => i.violations.length > 0).length} with violations. Pick a bar to list its
            violations.
          </p>
          <QoeComplianceChart report={r} selected={selected?.id ?? null} onSelect={setSelected} />
          {selected && <Violations item={selected} />}
          <details>
            <summary>The numbers</summary>
            <table data-testid="qoe-sla-table">
              <thead>
                <tr>
                  <th scope="col">{by}</th>
                  <th scope="col">Samples</th>
                  <th scope="col">Services</th>
                  <th scope="col">Compliance</th>
                  <th scope="col">Violations</th>
                </tr>
              </thead>
              <tbody>
                {r.items.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <button type="button" className="link" onClick={() => setSelected(i)}>
                        {i.name ?? i.id}
                      </button>
                    </td>
                    <td>{i.samples}</td>
                    <td>{i.services}</td>
                    <td>{percent(i.compliance)}</td>
                    <td>{i.violations.length}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

function Violations({ item }: { item: QoeItem }) {
  return (
    <div className="card" data-testid="qoe-violations" aria-live="polite">
      <h3>
        {item.name ?? item.id}:{' '}
        {item.violations.length === 0 ? 'no violations' : `${item.violations.length} violations`}
      </h3>
      <ul>
        {item.violations.map((v, i) => (
          <li key={`${v.serviceId}-${v.metric}-${i}`} data-testid="qoe-violation">
            <strong>{v.serviceName ?? v.serviceId}</strong>: {v.metric} {num(v.observed)} {v.unit ?? ''}{' '}
            against {v.operator} {num(v.target)} {v.unit ?? ''}
            {v.samples !== undefined && ` over ${v.samples} sample${v.samples === 1 ? '' : 's'}`}
            {(v.evidence ?? []).length > 0 && (
              <ul className="small">
                {(v.evidence ?? []).map((e, j) => (
                  <li key={e.id ?? j} data-testid="qoe-evidence">
                    {dateTime(e.measuredAt)}: measured {num(e.value)}
                    {e.target !== undefined && ` (target ${e.operator ?? ''} ${num(e.target)})`}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function SelfcareSection() {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.wasted);
  const report = useLoad(() => (available ? api.wasted() : undefined), [api, available]);
  const r = report.data;
  return (
    <section aria-labelledby="selfcare-heading" data-testid="selfcare">
      <h2 id="selfcare-heading">Self-care funnel and wasted sessions</h2>
      {!available && (
        <NotAvailable what="Self-care analytics" endpoint={PATHS.wasted} testId="selfcare-not-available" />
      )}
      <ErrorMessage message={report.error} testId="selfcare-error" />
      {available && !r && !report.error && <Loading what="self-care" />}
      {r && (
        <>
          <p className="summary" data-testid="selfcare-summary">
            {r.sessions} sessions from {dateTime(r.from)} to {dateTime(r.to)}: <strong>{r.wasted}</strong>{' '}
            wasted ({percent(r.rate)})
            {r.followedByContact !== undefined && `, ${r.followedByContact} followed by a call or chat`}.
          </p>
          <div className="cards two">
            <div>
              <h3>Funnel</h3>
              <FunnelChart report={r} />
              <table data-testid="funnel-table">
                <tbody>
                  {funnelStages(r.funnel).map(([k, v]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td data-testid={`funnel-${k}`}>{v}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div>
              <h3>Wasted rate by page</h3>
              <WastedByPageChart report={r} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}

function SatisfactionSection() {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.satisfaction);
  const summary = useLoad(() => (available ? api.satisfaction() : undefined), [api, available]);
  const s = summary.data;
  return (
    <section aria-labelledby="satisfaction-heading" data-testid="satisfaction">
      <h2 id="satisfaction-heading">Satisfaction from behaviour</h2>
      {!available && (
        <NotAvailable what="Satisfaction" endpoint={PATHS.satisfaction} testId="satisfaction-not-available" />
      )}
      <ErrorMessage message={summary.error} testId="satisfaction-error" />
      {available && !s && !summary.error && <Loading what="satisfaction" />}
      {s && (
        <>
          <p className="summary" data-testid="satisfaction-summary">
            {s.customers} customers: mean score <strong>{num(s.meanScore)}</strong>, median{' '}
            {num(s.medianScore)} out of 100
            {s.formula?.windowDays !== undefined && `, over the last ${s.formula.windowDays} days`}.
            {s.formula?.score && <span className="help"> Score = {s.formula.score}.</span>}
          </p>
          <SatisfactionChart summary={s} />
        </>
      )}
    </section>
  );
}
