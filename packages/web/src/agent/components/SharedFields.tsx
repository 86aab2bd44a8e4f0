import { fieldLabel, formatValue } from '../labels';
import type { Relationship } from '../types';

/** What the vendor holds about her: each field of the agreement and the value it acknowledged. */
export function SharedFields({ relationship }: { relationship: Relationship }) {
  const fields = relationship.agreement?.fields ?? Object.keys(relationship.shared);
  const ended = relationship.status === 'terminated';
  const purged = new Set((relationship.purges ?? []).flatMap((p) => p.fields));
  if (fields.length === 0) return <p className="muted">Nothing shared.</p>;
  return (
    <table data-testid="shared-fields">
      <caption>What {relationship.vendor.name} holds about you</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((field) => {
          const value = relationship.shared[field];
          return (
            <tr key={field} data-testid={`shared-${field}`}>
              <th scope="row">{fieldLabel(field)}</th>
              <td>
                {value !== undefined ? (
                  formatValue(value)
                ) : (
                  <span className="muted">
                    {ended
                      ? 'nothing (relationship ended)'
                      : purged.has(field)
                        ? 'deleted: its retention period ended'
                        : 'not sent yet'}
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
