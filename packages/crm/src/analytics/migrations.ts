import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * Customer analytics' own tables. Segmentations: each run (`crm_segmentations`: its method, k, silhouette,
 * features, segments with their profiles, exclusions) and who fell in which segment (`crm_segment_members`,
 * keyed so a segment's members page by party id and a customer's segments are one index away).
 */
const SEGMENT_TABLES: TableSpec[] = [
  {
    name: 'crm_segmentations',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      method: 'text not null',
      k: 'int not null',
      silhouette: 'real',
      created_at: 'time not null',
      doc: 'doc not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_created: { columns: ['tenant_id', 'created_at'] } },
  },
  {
    name: 'crm_segment_members',
    columns: {
      tenant_id: 'text not null',
      segmentation_id: 'text not null',
      segment_id: 'text not null',
      party_id: 'text not null',
    },
    primaryKey: ['tenant_id', 'segmentation_id', 'segment_id', 'party_id'],
    indexes: { by_party: { columns: ['tenant_id', 'party_id', 'segmentation_id'] } },
  },
];

export const ANALYTICS_MIGRATIONS: Migration[] = [
  {
    name: 'crm/analytics-001-segmentations',
    sqlite: SEGMENT_TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: SEGMENT_TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
