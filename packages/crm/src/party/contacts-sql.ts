/**
 * The contact index: every email address, phone number and social handle on a party's contact media, normalised
 * (lower-case email and handle without '@'; phone digits and '+' only), in `crm_party_contacts`, so that an
 * inbound message finds its sender with one indexed lookup among millions of parties. Triggers on crm_parties
 * keep it, whatever writes the party (the API, a CSV import, the seed, an agreement's events, an erasure).
 */

/** The three normalised keys of a contact medium `cm` (SQLite). */
const SQLITE_KEY_EXPRESSIONS: [string, string][] = [
  ['email', "lower(trim(json_extract(cm.value, '$.characteristic.emailAddress')))"],
  [
    'phone',
    "replace(replace(replace(replace(replace(json_extract(cm.value, '$.characteristic.phoneNumber'), ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')",
  ],
  ['social', "ltrim(lower(trim(json_extract(cm.value, '$.characteristic.socialNetworkId'))), '@')"],
];

/** One INSERT per kind of key: SQLite joins json_each to the row, but has no LATERAL subqueries. */
const sqliteInsert = (tenant: string, id: string, doc: string, from = '') =>
  SQLITE_KEY_EXPRESSIONS.map(
    ([kind, value]) => `
  INSERT OR IGNORE INTO crm_party_contacts (tenant_id, kind, value, party_id)
  SELECT ${tenant}, '${kind}', ${value}, ${id} FROM ${from}json_each(${doc}, '$.contactMedium') AS cm
  WHERE ${value} IS NOT NULL AND ${value} <> ''`,
  ).join(';');

export const CONTACTS_SQLITE = `
  CREATE TABLE crm_party_contacts (tenant_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    party_id TEXT NOT NULL, PRIMARY KEY (tenant_id, kind, value, party_id)) WITHOUT ROWID;
  CREATE INDEX crm_party_contacts_by_party ON crm_party_contacts (tenant_id, party_id);
  CREATE TRIGGER crm_party_contacts_insert AFTER INSERT ON crm_parties BEGIN
    ${sqliteInsert('NEW.tenant_id', 'NEW.id', 'NEW.doc')};
  END;
  CREATE TRIGGER crm_party_contacts_update AFTER UPDATE OF doc ON crm_parties BEGIN
    DELETE FROM crm_party_contacts WHERE tenant_id = OLD.tenant_id AND party_id = OLD.id;
    ${sqliteInsert('NEW.tenant_id', 'NEW.id', 'NEW.doc')};
  END;
  CREATE TRIGGER crm_party_contacts_delete AFTER DELETE ON crm_parties BEGIN
    DELETE FROM crm_party_contacts WHERE tenant_id = OLD.tenant_id AND party_id = OLD.id;
  END;
  ${sqliteInsert('p.tenant_id', 'p.id', 'p.doc', 'crm_parties AS p, ')};`;

const PG_KEYS = (doc: string) =>
  `
  SELECT 'email' AS kind, lower(trim(cm -> 'characteristic' ->> 'emailAddress')) AS value FROM media
  UNION
  SELECT 'phone', regexp_replace(cm -> 'characteristic' ->> 'phoneNumber', '[ ().-]', '', 'g') FROM media
  UNION
  SELECT 'social', ltrim(lower(trim(cm -> 'characteristic' ->> 'socialNetworkId')), '@') FROM media`.replace(
    /FROM media/g,
    `FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${doc} -> 'contactMedium') = 'array' THEN ${doc} -> 'contactMedium' ELSE '[]'::jsonb END) AS cm`,
  );

export const CONTACTS_POSTGRES = `
  CREATE TABLE crm_party_contacts (tenant_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    party_id TEXT NOT NULL, PRIMARY KEY (tenant_id, kind, value, party_id));
  CREATE INDEX crm_party_contacts_by_party ON crm_party_contacts (tenant_id, party_id);
  CREATE FUNCTION crm_party_contacts_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      DELETE FROM crm_party_contacts WHERE tenant_id = OLD.tenant_id AND party_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO crm_party_contacts (tenant_id, kind, value, party_id)
      SELECT NEW.tenant_id, k.kind, k.value, NEW.id FROM (${PG_KEYS('NEW.doc')}) AS k
      WHERE k.value IS NOT NULL AND k.value <> '' ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  END $fn$;
  CREATE TRIGGER crm_party_contacts_sync AFTER INSERT OR UPDATE OF doc OR DELETE ON crm_parties
    FOR EACH ROW EXECUTE FUNCTION crm_party_contacts_sync();
  INSERT INTO crm_party_contacts (tenant_id, kind, value, party_id)
  SELECT p.tenant_id, k.kind, k.value, p.id FROM crm_parties AS p,
    LATERAL (${PG_KEYS('p.doc')}) AS k
  WHERE k.value IS NOT NULL AND k.value <> '' ON CONFLICT DO NOTHING;`;
