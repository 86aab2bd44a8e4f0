import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * One process for every channel (docs/crm.md, "Channels and the queue"). Every table is keyed by tenant first.
 *
 * - `crm_channel_connectors`: a tenant's connectors (kind, name, settings as JSON text) and the inbound secret
 *   their webhooks are signed with (kept as given: HMAC needs the secret itself, not a hash).
 * - `crm_channel_messages`: every message in or out, once: `source` (the connector's id, or `selfcare:<party>`,
 *   `agent:<agreement>` for channels without one) with the sender's `external_id` is unique, so a replay of the
 *   same message is recognised. Outbound rows keep what the provider answered (`provider_id`: a Mastodon
 *   status id, an email Message-ID) so that an answer to a reply finds its thread.
 * - `crm_ticket_desk`: where each ticket came from and who works it: channel, source, thread, the party, the
 *   assignee (a desk agent's id), and what a reply needs (`reply_to`, JSON).
 * - `crm_desk_agents`: the desk's people: their channels and skills, whether they supervise, and when they
 *   were last given a ticket (round robin).
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_channel_connectors',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      kind: 'text not null',
      name: 'text not null',
      settings: 'text not null',
      secret: 'text not null',
      created_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'id'],
    // Webhooks name the connector alone: its id is unique across tenants.
    indexes: { by_id: { columns: ['id'], unique: true } },
  },
  {
    name: 'crm_channel_messages',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      source: 'text not null',
      external_id: 'text not null',
      connector_id: 'text',
      channel: 'text not null',
      direction: 'text not null',
      thread_id: 'text not null',
      ticket_id: 'text',
      interaction_id: 'text',
      party_id: 'text',
      sender: 'text',
      subject: 'text',
      body: 'text not null',
      provider_id: 'text',
      status: 'text not null',
      detail: 'text',
      sent_at: 'time not null',
      created_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_external: { columns: ['tenant_id', 'source', 'external_id'], unique: true },
      by_provider: { columns: ['tenant_id', 'source', 'provider_id'] },
      by_ticket: { columns: ['tenant_id', 'ticket_id', 'sent_at'] },
      by_party: { columns: ['tenant_id', 'party_id', 'channel', 'sent_at'] },
    },
  },
  {
    name: 'crm_ticket_desk',
    columns: {
      tenant_id: 'text not null',
      ticket_id: 'text not null',
      channel: 'text',
      source: 'text',
      connector_id: 'text',
      thread_id: 'text',
      party_id: 'text',
      assignee: 'text',
      reply_to: 'text',
      created_at: 'time not null',
      updated_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'ticket_id'],
    indexes: {
      by_thread: { columns: ['tenant_id', 'source', 'thread_id'] },
      by_assignee: { columns: ['tenant_id', 'assignee'] },
      by_channel: { columns: ['tenant_id', 'channel'] },
    },
  },
  {
    name: 'crm_desk_agents',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      name: 'text not null',
      channels: 'text not null',
      skills: 'text not null',
      supervisor: 'flag not null',
      active: 'flag not null',
      last_assigned_at: 'time',
      created_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'id'],
  },
];

export const CHANNEL_MIGRATIONS: Migration[] = [
  {
    name: 'crm/channels-001-connectors-queue',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
