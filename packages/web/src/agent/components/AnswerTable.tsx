import { useState } from 'react';
import {
  DECISION_LABELS,
  OFFER_STATUS_LABELS,
  formatDate,
  formatMoney,
  formatTime,
  timeLeft,
} from '../labels';
import type { Intent, IntentAnswer, OfferStatus } from '../types';

type Order = 'received' | 'ascending' | 'descending';

interface Props {
  intent: Intent;
  /** The offer being taken right now, if any. */
  accepting: string | null;
  onAccept: (answer: IntentAnswer) => void;
}

/** The offer's state as of now: an open offer past its validity has expired even if the agent said open. */
export function offerState(answer: IntentAnswer, now = Date.now()): OfferStatus | 'none' {
  const offer = answer.offer;
  if (!offer) return 'none';
  if (offer.status === 'open' && Date.parse(offer.validUntil) <= now) return 'expired';
  return offer.status;
}

function Decision({ answer }: { answer: IntentAnswer }) {
  const terms = answer.terms ?? answer.offer?.terms;
  switch (answer.decision) {
    case 'accept':
      return (
        <>
          {DECISION_LABELS.accept} your {terms ? <strong>{terms.code}</strong> : 'terms'}
          {terms ? ` (${terms.title})` : ''}
        </>
      );
    case 'counter':
      return (
        <>
          {DECISION_LABELS.counter} with {terms ? <strong>{terms.code}</strong> : 'other terms'}
          {terms ? ` (${terms.title})` : ''}
          {answer.reason ? <span className="reason">“{answer.reason}”</span> : null}
          {answer.offer ? <span className="help">Taking this offer means taking these terms.</span> : null}
        </>
      );
    case 'reject':
      return (
        <>
          {DECISION_LABELS.reject}
          {answer.reason ? <span className="reason">“{answer.reason}”</span> : null}
        </>
      );
  }
}

/**
 * The vendors' answers side by side: each decision on her terms, what it offers and for how much, until when,
 * and whether it can still be taken. Sortable by total; one offer can be accepted.
 */
export function AnswerTable({ intent, accepting, onAccept }: Props) {
  const [order, setOrder] = useState<Order>('received');
  const now = Date.now();
  if (intent.answers.length === 0) {
    return (
      <p className="muted" data-testid="no-answers">
        No answers yet.
      </p>
    );
  }
  const total = (a: IntentAnswer) => a.offer?.total.amount;
  const rows = [...intent.answers];
  if (order !== 'received') {
    const sign = order === 'ascending' ? 1 : -1;
    // Answers without an offer go last either way.
    rows.sort((a, b) => {
      const x = total(a);
      const y = total(b);
      if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0);
      return sign * (x - y);
    });
  }
  const next: Record<Order, Order> = {
    received: 'ascending',
    ascending: 'descending',
    descending: 'ascending',
  };
  const currencies = new Set(intent.answers.flatMap((a) => (a.offer ? [a.offer.total.currency] : [])));
  return (
    <table className="answers" data-testid="answers">
      <caption>
        Answers from {intent.answers.length} {intent.answers.length === 1 ? 'vendor' : 'vendors'}
        {currencies.size > 1 ? (
          <span className="warning"> (offers in different currencies: compare with care)</span>
        ) : null}
      </caption>
      <thead>
        <tr>
          <th scope="col">Vendor</th>
          <th scope="col">Decision on your terms</th>
          <th scope="col">Offer</th>
          <th
            scope="col"
            aria-sort={order === 'received' ? 'none' : order}
            className="number"
            data-testid="sort-by-total"
            data-order={order}
          >
            <button type="button" className="link" onClick={() => setOrder(next[order])}>
              Total{order === 'ascending' ? ' ▲' : order === 'descending' ? ' ▼' : ''}
            </button>
          </th>
          <th scope="col">Valid until</th>
          <th scope="col">Status</th>
          <th scope="col">
            <span className="visually-hidden">Action</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => {
          const state = offerState(a, now);
          const name = a.vendor.name;
          const takeable = intent.status === 'open' && state === 'open';
          return (
            <tr
              key={a.vendor.did ?? a.vendor.url}
              data-testid={`answer-${name}`}
              data-decision={a.decision}
              data-terms={(a.terms ?? a.offer?.terms)?.code}
              className={`answer answer-${a.decision}`}
            >
              <th scope="row">
                {name}
                {a.receiptVerified ? (
                  <span
                    className="verified receipt"
                    title="The vendor's ledger receipt for its decision was verified"
                    data-testid="answer-receipt"
                  >
                    ✓ receipt verified
                  </span>
                ) : null}
              </th>
              <td className="decision" data-testid="answer-decision">
                <Decision answer={a} />
              </td>
              <td data-testid="answer-offer">
                {a.offer ? (
                  <ul className="items">
                    {a.offer.items.map((item) => (
                      <li key={item.sku}>
                        {item.quantity} × {item.name}
                        {item.quantity !== 1 ? (
                          <span className="muted">
                            {' '}
                            at {formatMoney(item.unitPrice, a.offer?.total.currency ?? intent.price.currency)}
                          </span>
                        ) : null}
                      </li>
                    ))}
                    {a.offer.note ? <li className="muted">{a.offer.note}</li> : null}
                  </ul>
                ) : (
                  <span className="muted">no offer</span>
                )}
              </td>
              <td className="number" data-testid="answer-total" data-amount={a.offer?.total.amount}>
                {a.offer ? formatMoney(a.offer.total.amount, a.offer.total.currency) : ''}
              </td>
              <td>
                {a.offer ? (
                  <>
                    <time dateTime={a.offer.validUntil} title={formatTime(a.offer.validUntil)}>
                      {formatDate(a.offer.validUntil)}
                    </time>
                    {state === 'open' ? (
                      <span className="muted when">{timeLeft(a.offer.validUntil, now)}</span>
                    ) : null}
                  </>
                ) : null}
              </td>
              <td
                className={`status offer-${state}`}
                data-testid={`offer-status-${name}`}
                data-status={state}
              >
                {state === 'none' ? '' : OFFER_STATUS_LABELS[state]}
              </td>
              <td>
                {a.offer ? (
                  <button
                    type="button"
                    disabled={!takeable || accepting !== null}
                    onClick={() => onAccept(a)}
                    data-testid={`accept-offer-${name}`}
                    aria-label={`Accept this offer from ${name}`}
                  >
                    {accepting === a.offer.id ? 'Accepting…' : 'Accept this offer'}
                  </button>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
