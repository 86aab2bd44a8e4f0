import { PATHS } from '../api';
import { useDesktop } from '../desktop';
import { useLoad } from '../hooks';
import { ErrorMessage, Loading, NotAvailable } from './Messages';
import { QoeChart } from './QoeChart';

/** QoE against SLA over the last 30 days, one chart per service (`GET /crm/v1/desktop/qoe`). */
export function QoePanel({ partyId }: { partyId: string }) {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.qoe);
  const qoe = useLoad(() => (available ? api.qoe(partyId, 30) : undefined), [api, partyId, available]);
  return (
    <section aria-labelledby="qoe-heading" data-testid="qoe">
      <h2 id="qoe-heading">Quality of experience against SLA, last 30 days</h2>
      {!available && <NotAvailable what="QoE over time" endpoint={PATHS.qoe} testId="qoe-not-available" />}
      <ErrorMessage message={qoe.error} testId="qoe-error" />
      {available && !qoe.data && !qoe.error && <Loading what="QoE" />}
      {qoe.data && qoe.data.length === 0 && <p data-testid="qoe-none">No services with measurements.</p>}
      {qoe.data?.map((series) => (
        <QoeChart key={series.serviceId} series={series} />
      ))}
    </section>
  );
}
