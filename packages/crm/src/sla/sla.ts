import type { ResourceSpec } from '../tmf/resource.js';
import { num, PARTY_TYPES, pick, ref, refs, requireRef, SERVICES, text } from '../tmf/references.js';

/** An SLA (after TMF623): rules with targets for availability, throughput, latency, packet loss, resolution time. */
export const SLA: ResourceSpec = {
  api: 'sla',
  path: '/sla',
  type: 'ServiceLevelAgreement',
  createDefinition: 'ServiceLevelAgreement_Create',
  updateDefinition: 'ServiceLevelAgreement_Update',
  table: 'crm_slas',
  columns: { name: 'name', state: 'state' },
  row: (doc) => ({ name: text(doc.name) ?? '', state: text(doc.state) ?? null }),
};

/** One quality-of-experience sample of a service. Account and user come from the service when not given. */
export const QOE_MEASUREMENT: ResourceSpec = {
  api: 'sla',
  path: '/qoeMeasurement',
  type: 'QoeMeasurement',
  createDefinition: 'QoeMeasurement_Create',
  updateDefinition: 'QoeMeasurement_Update',
  table: 'crm_qoe_measurements',
  partyColumn: 'party_id',
  columns: {
    'service.id': 'service_id',
    'account.id': 'account_id',
    measuredAt: 'measured_at',
    cellId: 'cell_id',
  },
  row: (doc) => ({
    service_id: ref(doc.service)?.id ?? '',
    account_id: ref(doc.account)?.id ?? null,
    party_id: pick(refs(doc.relatedParty), 'user', PARTY_TYPES)?.id ?? null,
    measured_at: text(doc.measuredAt) ?? '',
    availability: num(doc.availability) ?? null,
    throughput: num(doc.throughput) ?? null,
    latency: num(doc.latency) ?? null,
    packet_loss: num(doc.packetLoss) ?? null,
    cell_id: text(doc.cellId) ?? null,
  }),
  async check(db, tenantId, doc) {
    const service = await requireRef(db, tenantId, SERVICES, ref(doc.service), 'body.service', [
      'account_id',
      'user_party_id',
      'cell_id',
    ]);
    const filled = { ...doc };
    if (!filled.account && service.account_id) {
      filled.account = { id: service.account_id, '@referredType': 'BillingAccount' };
    }
    if (!filled.relatedParty && service.user_party_id) {
      filled.relatedParty = [{ id: service.user_party_id, '@referredType': 'Individual', role: 'user' }];
    }
    if (!filled.cellId && service.cell_id) filled.cellId = service.cell_id;
    return filled;
  },
};

/** SLA violations are computed by the server from measurements (see evaluateSlaViolations): read only. */
export const SLA_VIOLATION: ResourceSpec = {
  api: 'sla',
  path: '/slaViolation',
  type: 'SlaViolation',
  createDefinition: 'SlaViolation',
  updateDefinition: 'SlaViolation',
  table: 'crm_sla_violations',
  partyColumn: 'party_id',
  readOnly: true,
  columns: { 'sla.id': 'sla_id', 'service.id': 'service_id', 'rule.metric': 'metric' },
  row: () => ({}),
};
