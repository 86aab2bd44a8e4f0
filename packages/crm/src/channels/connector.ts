/**
 * One interface for every channel: a connector maps what its provider posts onto one inbound message shape,
 * and sends a reply back out the way its provider takes it. The process in between (party matching, the
 * interaction, the ticket and its SLA clock, assignment) is the same for all of them (intake.ts).
 */

/** The kinds of connector a tenant configures (TMF683 channel ids, a subset of interaction CHANNELS). */
export const CONNECTOR_KINDS = ['email', 'chat', 'social', 'selfcare', 'agent'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/** Who a message is from: at least one of email, phone, handle (a social network id such as @ada@mastodon.example). */
export interface Sender {
  email?: string;
  phone?: string;
  handle?: string;
  name?: string;
}

/** A message as every adapter delivers it to the process. */
export interface InboundMessage {
  /** The provider's id of this message (an email Message-ID, a status id): replaying it changes nothing. */
  externalId: string;
  /** The conversation it belongs to (a chat session, an email thread); default: found from inReplyTo, or new. */
  threadId?: string;
  /** The provider id of the message it answers (email In-Reply-To, Mastodon in_reply_to_id). */
  inReplyTo?: string;
  from: Sender;
  subject?: string;
  text: string;
  /** When it was sent (ISO 8601); default: when it arrived. */
  sentAt?: string;
  /** Why the person got in touch, when the channel says so (an IVR reason, a feedback kind). */
  reason?: string;
  /** What a reply needs that only the adapter knows (an email address to answer, a status id, an account). */
  replyTo?: Record<string, unknown>;
}

/** A reply on its way out. */
export interface OutboundReply {
  /** Our id of the reply (unique), usable as its Message-ID. */
  id: string;
  text: string;
  subject?: string;
  threadId: string;
  /** What the ticket's first message said a reply needs. */
  replyTo: Record<string, unknown>;
  /** The provider id of the last message received on the thread (what the reply answers). */
  inReplyTo?: string;
}

/** Where a connector sends: its outbound URL and token (settings), and how to post JSON. */
export interface ConnectorSettings {
  /** The provider's HTTP API (email, chat) or the instance's base URL (Mastodon). */
  outboundUrl?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** social: the network adapter; `mastodon` is the one Parley ships. */
  network?: string;
  /** social: the instance's domain, for handles of local accounts (`ada` → `@ada@instance`). */
  instance?: string;
  /** email: the address replies are sent from. */
  fromAddress?: string;
}

export type PostJson = (
  url: string,
  body: unknown,
  token: string | undefined,
) => Promise<{ status: number; json: unknown }>;

/** A channel adapter: the same two operations for every kind. */
export interface ChannelConnector {
  kind: ConnectorKind;
  /** The provider's inbound payload as a message (throws a `ChannelPayloadError` naming the field). */
  inbound(payload: unknown, settings: ConnectorSettings): InboundMessage;
  /**
   * Sends a reply out; resolves with the provider's id of what it sent (for threading), or undefined when
   * the channel keeps replies for the person to read (self-care) or delivers them otherwise (agent).
   */
  send(reply: OutboundReply, settings: ConnectorSettings, post: PostJson): Promise<string | undefined>;
}

/** A payload that does not have what the adapter needs: `field` names it (as `body.…`). */
export class ChannelPayloadError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

function need(value: unknown, field: string, what = 'a non-empty string'): string {
  const s = str(value);
  if (s === undefined) throw new ChannelPayloadError(field, `expected ${what}`);
  return s;
}

/** Parley's own message shape (chat backends and anything else post it as it is). */
export function genericMessage(payload: unknown): InboundMessage {
  const p = obj(payload);
  const from = obj(p.from);
  const sender: Sender = {
    ...(str(from.email) ? { email: str(from.email) } : {}),
    ...(str(from.phone) ? { phone: str(from.phone) } : {}),
    ...(str(from.handle) ? { handle: str(from.handle) } : {}),
    ...(str(from.name) ? { name: str(from.name) } : {}),
  };
  if (!sender.email && !sender.phone && !sender.handle)
    throw new ChannelPayloadError('body.from', 'expected an email, phone or handle');
  return {
    externalId: need(p.externalId, 'body.externalId'),
    ...(str(p.threadId) ? { threadId: str(p.threadId) } : {}),
    ...(str(p.inReplyTo) ? { inReplyTo: str(p.inReplyTo) } : {}),
    from: sender,
    ...(str(p.subject) ? { subject: str(p.subject) } : {}),
    text: need(p.text, 'body.text'),
    ...(str(p.sentAt) ? { sentAt: isoDate(p.sentAt, 'body.sentAt') } : {}),
    ...(str(p.reason) ? { reason: str(p.reason) } : {}),
  };
}

function isoDate(v: unknown, field: string): string {
  const t = Date.parse(String(v));
  if (!Number.isFinite(t)) throw new ChannelPayloadError(field, 'expected a date and time (ISO 8601)');
  return new Date(t).toISOString();
}

/** `"Ada Example" <ada@example.org>` → { email, name }. */
export function parseAddress(value: string): { email: string; name?: string } {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  if (m) return { email: (m[2] as string).trim(), ...(m[1]?.trim() ? { name: m[1].trim() } : {}) };
  return { email: value.trim() };
}

const messageId = (v: unknown) => str(v)?.trim();

/**
 * Email through an inbound-parse webhook (Postmark's or SendGrid's JSON: From, To, Subject, TextBody /
 * text, MessageID, In-Reply-To). Parley's own shape is taken too. The thread is the In-Reply-To chain.
 */
export const EMAIL: ChannelConnector = {
  kind: 'email',
  inbound(payload) {
    const p = obj(payload);
    if (p.externalId !== undefined) return { ...genericMessage(p), replyTo: replyAddress(genericMessage(p)) };
    const fromText = need(p.From ?? p.from, 'body.from', 'the sender\u2019s address');
    const from = parseAddress(fromText);
    if (!/^[^@\s]+@[^@\s]+$/.test(from.email))
      throw new ChannelPayloadError('body.from', 'expected an email address');
    const headers = Array.isArray(p.Headers) ? (p.Headers as { Name?: string; Value?: string }[]) : [];
    const header = (name: string) =>
      headers.find((h) => h.Name?.toLowerCase() === name.toLowerCase())?.Value ?? undefined;
    const id = messageId(p.MessageID ?? p.messageId ?? p['Message-ID'] ?? header('Message-ID'));
    const inReplyTo = messageId(p.inReplyTo ?? p.InReplyTo ?? p['In-Reply-To'] ?? header('In-Reply-To'));
    const subject = str(p.Subject ?? p.subject);
    const message: InboundMessage = {
      externalId: need(id, 'body.messageId'),
      ...(inReplyTo ? { inReplyTo } : {}),
      from: { email: from.email, ...(from.name ? { name: from.name } : {}) },
      ...(subject ? { subject } : {}),
      text: need(p.TextBody ?? p.text ?? p.StrippedTextReply, 'body.text'),
      ...(str(p.Date ?? p.date) ? { sentAt: isoDate(p.Date ?? p.date, 'body.date') } : {}),
    };
    return { ...message, replyTo: replyAddress(message) };
  },
  async send(reply, settings, post) {
    const url = need(settings.outboundUrl, 'settings.outboundUrl');
    const subject = String(reply.replyTo.subject ?? reply.subject ?? '');
    const answer = await post(
      url,
      {
        From: settings.fromAddress ?? '',
        To: String(reply.replyTo.email ?? ''),
        Subject: /^re:/i.test(subject) ? subject : `Re: ${subject}`.trim(),
        TextBody: reply.text,
        MessageID: reply.id,
        ...(reply.inReplyTo ? { InReplyTo: reply.inReplyTo } : {}),
        Headers: [
          { Name: 'Message-ID', Value: reply.id },
          ...(reply.inReplyTo ? [{ Name: 'In-Reply-To', Value: reply.inReplyTo }] : []),
          { Name: 'References', Value: [reply.threadId, reply.inReplyTo].filter(Boolean).join(' ') },
        ],
        threadId: reply.threadId,
      },
      settings.token,
    );
    return str(obj(answer.json).MessageID) ?? reply.id;
  },
};

function replyAddress(m: InboundMessage): Record<string, unknown> {
  return { email: m.from.email, ...(m.subject ? { subject: m.subject } : {}) };
}

/** Chat: a backend posts each message of a session (Parley's shape; the session id is the thread). */
export const CHAT: ChannelConnector = {
  kind: 'chat',
  inbound(payload) {
    const p = obj(payload);
    const sessionId = str(p.sessionId) ?? str(p.threadId);
    const message = genericMessage({ ...p, ...(sessionId ? { threadId: sessionId } : {}) });
    if (!message.threadId) throw new ChannelPayloadError('body.threadId', 'expected the chat session id');
    return { ...message, replyTo: { sessionId: message.threadId } };
  },
  async send(reply, settings, post) {
    const answer = await post(
      need(settings.outboundUrl, 'settings.outboundUrl'),
      { sessionId: reply.threadId, messageId: reply.id, text: reply.text },
      settings.token,
    );
    return str(obj(answer.json).id) ?? reply.id;
  },
};

/** Plain text of a status's HTML content (Mastodon sends `<p>…</p>` with mention links). */
export function htmlText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/**
 * Mastodon, the example of a public network adapter the vendor configures (settings: `outboundUrl` the
 * instance, `token` an access token with write:statuses). Inbound is a webhook of a status that mentions the
 * vendor's account (`{event: 'status.created', object: Status}` or the Status itself); the thread is the
 * status it answers, or the status itself. A reply is a direct status in reply to the last one received.
 */
export const MASTODON: ChannelConnector = {
  kind: 'social',
  inbound(payload, settings) {
    const p = obj(payload);
    const status = p.object !== undefined ? obj(p.object) : p;
    const field = p.object !== undefined ? 'body.object' : 'body';
    const id = need(status.id, `${field}.id`, 'the status id');
    const account = obj(status.account);
    let acct = need(account.acct, `${field}.account.acct`, 'the author\u2019s account');
    const instance = settings.instance ?? hostOf(settings.outboundUrl);
    if (!acct.includes('@') && instance) acct = `${acct}@${instance}`;
    const inReplyTo = str(status.in_reply_to_id);
    const name = str(account.display_name);
    return {
      externalId: id,
      ...(inReplyTo ? { inReplyTo } : {}),
      from: { handle: `@${acct}`, ...(name ? { name } : {}) },
      text: need(htmlText(String(status.content ?? '')), `${field}.content`, 'the status text'),
      ...(str(status.created_at) ? { sentAt: isoDate(status.created_at, `${field}.created_at`) } : {}),
      replyTo: { acct, statusId: id },
    };
  },
  async send(reply, settings, post) {
    const base = need(settings.outboundUrl, 'settings.outboundUrl').replace(/\/+$/, '');
    const acct = String(reply.replyTo.acct ?? '');
    const answer = await post(
      `${base}/api/v1/statuses`,
      {
        status: `@${acct} ${reply.text}`,
        in_reply_to_id: reply.inReplyTo ?? reply.replyTo.statusId,
        visibility: 'direct',
      },
      settings.token,
    );
    return str(obj(answer.json).id);
  },
};

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * Self-care: the person writes from the vendor's portal with her self-care key (POST /crm/v1/selfcare/messages);
 * replies are kept for her to read (GET /crm/v1/selfcare/messages). A connector of this kind is optional.
 */
export const SELFCARE: ChannelConnector = {
  kind: 'selfcare',
  inbound: (payload) => genericMessage(payload),
  send: async () => undefined,
};

/**
 * The person's agent: her Feedback arrives as a signed protocol event (agreement/status-event.ts); a reply is a
 * signed Feedback from the vendor, kept as a notice her agent collects (reply.ts). Nothing to post here.
 */
export const AGENT: ChannelConnector = {
  kind: 'agent',
  inbound: () => {
    throw new ChannelPayloadError('connectorId', 'the agent channel takes signed protocol events only');
  },
  send: async () => undefined,
};

/** The adapter of a connector: its kind, and for `social` its network. */
export function adapterOf(kind: ConnectorKind, settings: ConnectorSettings): ChannelConnector {
  switch (kind) {
    case 'email':
      return EMAIL;
    case 'chat':
      return CHAT;
    case 'social':
      if ((settings.network ?? 'mastodon') !== 'mastodon')
        throw new ChannelPayloadError('settings.network', 'the social adapters are: mastodon');
      return MASTODON;
    case 'selfcare':
      return SELFCARE;
    case 'agent':
      return AGENT;
  }
}
