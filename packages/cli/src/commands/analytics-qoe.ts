import type { Command } from 'commander';
import { CliError, printJson } from '../io.js';

const BY = ['user', 'account', 'group', 'cell', 'service'] as const;

const table = (rows: string[][]) => {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
};

/** GET on the CRM with the key; the JSON body, or a CliError saying what went wrong. */
async function getJson(crm: string, key: string, path: string): Promise<Record<string, unknown>> {
  const url = `${crm.replace(/\/+$/, '')}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(600_000),
    });
  } catch (e) {
    throw new CliError(`--crm: cannot reach ${crm} (${(e as Error).message})`);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== 200)
    throw new CliError(
      `${url}: ${response.status} ${String(body.detail ?? body.title ?? response.statusText)}`,
    );
  return body;
}

interface Metric {
  metric: string;
  observed: number;
  target: number | null;
  operator: string | null;
  met: boolean | null;
  targetsDiffer: boolean;
  servicesWithTarget: number;
  servicesMet: number;
}
interface Entity {
  id: string;
  name: string | null;
  samples: number;
  services: number;
  compliance: number | null;
  metrics: Metric[];
  violations: { serviceId: string; metric: string; observed: number; target: number; evidence: unknown[] }[];
}

const METRICS = ['availability', 'throughput', 'latency', 'packetLoss'];
const metricCell = (m: Metric | undefined) =>
  m === undefined
    ? '-'
    : m.target === null
      ? String(m.observed)
      : m.targetsDiffer
        ? // Services under different SLAs: how many met their own target.
          `${m.observed} ${m.met ? 'ok' : 'MISS'} (${m.servicesMet}/${m.servicesWithTarget} met)`
        : `${m.observed} ${m.met ? 'ok' : 'MISS'} (${m.operator ?? ''}${m.target})`;

/** Adds `parley analytics qoe` and `parley analytics selfcare` (on a running CRM). */
export function addQoeCommands(analytics: Command): void {
  analytics
    .command('qoe')
    .description(
      'QoE against SLA on a running CRM, per user, account, group, cell or service: samples, compliance, each ' +
        "metric's observed value against its target, and the violations with their evidence (all pages)",
    )
    .requiredOption('--crm <url>', 'the CRM server, e.g. http://127.0.0.1:8080')
    .requiredOption('--key <apiKey>', 'a staff API key of the tenant')
    .option('--by <entity>', `one of ${BY.join(', ')}`, 'cell')
    .option('--from <time>', 'start of the window (ISO 8601; default: 7 days before --to)')
    .option('--to <time>', 'end of the window, exclusive (ISO 8601; default: now)')
    .option('--basis <basis>', 'average (default) or worst sample', 'average')
    .option('--limit <n>', 'at most this many entities (default: all)')
    .option('--json', 'print the entities as one JSON object, as the API answers them')
    .action(
      async (o: {
        crm: string;
        key: string;
        by: string;
        from?: string;
        to?: string;
        basis: string;
        limit?: string;
        json?: boolean;
      }) => {
        if (!(BY as readonly string[]).includes(o.by))
          throw new CliError(`--by: expected one of ${BY.join(', ')}, got "${o.by}"`);
        if (o.basis !== 'average' && o.basis !== 'worst')
          throw new CliError(`--basis: expected average or worst, got "${o.basis}"`);
        const max = o.limit === undefined ? Infinity : Number(o.limit);
        if (o.limit !== undefined && (!/^[0-9]+$/.test(o.limit) || max < 1))
          throw new CliError('--limit: expected a whole number >= 1');
        const items: Entity[] = [];
        const excluded: Record<string, number> = {};
        let from = '';
        let to = '';
        let after: string | null = '';
        while (after !== null && items.length < max) {
          const q = new URLSearchParams({
            by: o.by,
            basis: o.basis,
            limit: String(Math.min(500, max - items.length)),
          });
          if (o.from) q.set('from', o.from);
          if (o.to) q.set('to', o.to);
          if (after) q.set('after', after);
          const page = await getJson(o.crm, o.key, `/crm/v1/analytics/qoe?${q.toString()}`);
          items.push(...(page.items as Entity[]));
          for (const [r, n] of Object.entries((page.excluded ?? {}) as Record<string, number>))
            excluded[r] = (excluded[r] ?? 0) + n;
          from = String(page.from);
          to = String(page.to);
          after = (page.next as string | null) ?? null;
        }
        if (o.json) return printJson({ by: o.by, from, to, basis: o.basis, items, excluded });
        const left = Object.entries(excluded);
        let out =
          `QoE against SLA by ${o.by}, ${from} to ${to} (${o.basis}): ${items.length} ${o.by}s` +
          (left.length
            ? ` (left out by their agreements: ${left.map(([r, n]) => `${n} ${r}`).join(', ')})`
            : '') +
          '\n\n';
        out += table([
          [o.by, 'samples', 'services', 'compliance', ...METRICS, 'violations'],
          ...items.map((e) => [
            e.name && e.name !== e.id ? `${e.id} (${e.name})` : e.id,
            String(e.samples),
            String(e.services),
            e.compliance === null ? '-' : `${Math.round(e.compliance * 100)}%`,
            ...METRICS.map((m) => metricCell(e.metrics.find((x) => x.metric === m))),
            String(e.violations.length),
          ]),
        ]);
        const violations = items.flatMap((e) => e.violations.map((v) => ({ entity: e.id, ...v })));
        if (violations.length > 0) {
          out += '\nViolations\n';
          out += table([
            [o.by, 'service', 'metric', 'observed', 'target', 'evidence'],
            ...violations.map((v) => [
              v.entity,
              v.serviceId,
              v.metric,
              String(v.observed),
              String(v.target),
              `${v.evidence.length} measurement${v.evidence.length === 1 ? '' : 's'}`,
            ]),
          ]);
        }
        process.stdout.write(out);
      },
    );

  analytics
    .command('selfcare')
    .description(
      'Wasted self-care on a running CRM: sessions that failed the person, their rate, by page and by cause, ' +
        'and the funnel (page views, form starts, submits, successes)',
    )
    .requiredOption('--crm <url>', 'the CRM server, e.g. http://127.0.0.1:8080')
    .requiredOption('--key <apiKey>', 'a staff API key of the tenant')
    .option('--from <time>', 'start of the window (ISO 8601; default: 30 days before --to)')
    .option('--to <time>', 'end of the window, exclusive (ISO 8601; default: now)')
    .option('--json', 'print the report as the API answers it')
    .action(async (o: { crm: string; key: string; from?: string; to?: string; json?: boolean }) => {
      const q = new URLSearchParams();
      if (o.from) q.set('from', o.from);
      if (o.to) q.set('to', o.to);
      const r = await getJson(o.crm, o.key, `/crm/v1/analytics/selfcare/wasted?${q.toString()}`);
      if (o.json) return printJson(r);
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      const byPage = r.byPage as {
        page: string;
        sessions: number;
        wasted: number;
        rate: number;
        causes: Record<string, number>;
      }[];
      const funnel = r.funnel as Record<string, number>;
      let out =
        `Wasted self-care, ${String(r.from)} to ${String(r.to)}: ${String(r.wasted)} of ${String(r.sessions)} ` +
        `sessions (${pct(Number(r.rate))}); ${String(r.followedByContact)} followed by a call, chat or email within 2 h\n\n`;
      out += table([
        ['page', 'sessions', 'wasted', 'rate', 'causes'],
        ...byPage.map((p) => [
          p.page,
          String(p.sessions),
          String(p.wasted),
          pct(p.rate),
          Object.entries(p.causes)
            .map(([c, n]) => `${c} ${n}`)
            .join(', '),
        ]),
      ]);
      out +=
        '\n' +
        table([
          ['cause', 'sessions'],
          ...Object.entries(r.byCause as Record<string, number>).map(([c, n]) => [c, String(n)]),
        ]);
      out +=
        '\nFunnel (sessions reaching each step)\n' +
        table([
          ['step', 'sessions'],
          ['page views', String(funnel.pageViews)],
          ['form starts', String(funnel.formStarts)],
          ['form submits', String(funnel.formSubmits)],
          ['successes', String(funnel.successes)],
        ]);
      process.stdout.write(out);
    });
}
