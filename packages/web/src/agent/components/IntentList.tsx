import type { AgentApi } from '../api';
import type { Intent, Relationship } from '../types';
import { IntentCard } from './IntentCard';

interface Props {
  api: AgentApi;
  intents: Intent[] | null;
  relationships: Relationship[] | null;
  onChanged: (intent: Intent) => void;
  onRelationship: (relationship: Relationship) => void;
}

/** Her intentcasts, newest first, each with the vendors' answers. */
export function IntentList({ api, intents, relationships, onChanged, onRelationship }: Props) {
  if (intents === null) return <p className="muted">Loading…</p>;
  if (intents.length === 0) {
    return <p data-testid="no-intents">No intents yet: say what you want above.</p>;
  }
  return (
    <div className="intents" data-testid="intent-list">
      {intents.map((intent) => (
        <IntentCard
          key={intent.id}
          api={api}
          intent={intent}
          relationships={relationships}
          onChanged={onChanged}
          onRelationship={onRelationship}
        />
      ))}
    </div>
  );
}
