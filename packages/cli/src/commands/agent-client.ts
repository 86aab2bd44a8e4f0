import { Command } from 'commander';
import { CliError, printJson } from '../io.js';

interface ClientOptions {
  agent: string;
}

/** The running agent's API, with the token from PARLEY_AGENT_TOKEN (never a flag: ps would show it). */
async function call(options: ClientOptions, method: string, path: string, body?: unknown): Promise<Response> {
  const token = process.env.PARLEY_AGENT_TOKEN;
  if (!token) throw new CliError('token: set PARLEY_AGENT_TOKEN to the token "parley agent serve" printed');
  let response: Response;
  try {
    response = await fetch(`${options.agent.replace(/\/+$/, '')}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new CliError(`agent: nothing answers at ${options.agent} (start it with "parley agent serve")`);
  }
  if (!response.ok) {
    const text = await response.text();
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {
      // not problem+json
    }
    throw new CliError(`${response.status}: ${detail}`);
  }
  return response;
}

const json = async (r: Response) => printJson(await r.json());

const clientOption = (c: Command) =>
  c.option(
    '--agent <url>',
    'the running agent (default: PARLEY_AGENT_URL, else http://127.0.0.1:7070)',
    process.env.PARLEY_AGENT_URL ?? 'http://127.0.0.1:7070',
  );

function address(options: Record<string, string | undefined>) {
  const { street1, street2, city, postCode, country } = options;
  if (!street1 && !city && !postCode && !country) return undefined;
  if (!street1 || !city || !postCode || !country)
    throw new CliError('address: give --street1, --city, --post-code and --country together');
  return { street1, ...(street2 ? { street2 } : {}), city, postCode, country };
}

/** Commands that drive a running agent through its API, as the dashboard does. */
export function agentClientCommands(agent: Command): void {
  clientOption(
    agent
      .command('connect')
      .description('Connect to a vendor by URL: terms proffered, agreement, data shared'),
  )
    .argument('<url>', "the vendor's URL, {crm}/parley/v1/vendors/{tenant}")
    .option('--invitation <code>', "a one-time code from the vendor's self-care, to link an existing account")
    .option('--fields <names>', 'share only these of the fields the vendor asks for (comma-separated)')
    .action(async (url: string, o: ClientOptions & { invitation?: string; fields?: string }) => {
      await json(
        await call(o, 'POST', '/relationships', {
          url,
          ...(o.invitation ? { invitation: o.invitation } : {}),
          ...(o.fields ? { fields: o.fields.split(',').map((f) => f.trim()) } : {}),
        }),
      );
    });
  clientOption(
    agent
      .command('relationships')
      .description('Every vendor: terms, what it holds, permissions, last events'),
  ).action(async (o: ClientOptions) => json(await call(o, 'GET', '/relationships')));
  clientOption(
    agent
      .command('profile')
      .description(
        'Change her details in one move: one signed event to every vendor whose agreement covers them',
      ),
  )
    .option('--given-name <s>')
    .option('--family-name <s>')
    .option('--email <s>')
    .option('--phone <s>')
    .option('--street1 <s>', 'postal address, first line')
    .option('--street2 <s>')
    .option('--city <s>')
    .option('--post-code <s>')
    .option('--country <cc>', 'ISO 3166-1 alpha-2, e.g. GB')
    .action(async (o: ClientOptions & Record<string, string | undefined>) => {
      const postalAddress = address(o);
      const patch = {
        ...(o.givenName ? { givenName: o.givenName } : {}),
        ...(o.familyName ? { familyName: o.familyName } : {}),
        ...(o.email ? { email: o.email } : {}),
        ...(o.phone ? { phone: o.phone } : {}),
        ...(postalAddress ? { postalAddress } : {}),
      };
      if (Object.keys(patch).length === 0) throw new CliError('profile: give at least one field to change');
      await json(await call(o, 'PATCH', '/me/profile', patch));
    });
  clientOption(
    agent
      .command('policies')
      .description('Set the global policies of every relationship, present and future'),
  )
    .argument('[policies...]', 'NoThirdPartyMail, DoNotTrack, SurveysWithAnswerBack (none: clear them)')
    .action(async (policies: string[], o: ClientOptions) =>
      json(await call(o, 'PUT', '/me/policies', { policies })),
    );
  clientOption(agent.command('changes').description('Her changes and which vendors acknowledged them'))
    .option('--unconfirmed', 'only changes some vendor has not confirmed yet')
    .action(async (o: ClientOptions & { unconfirmed?: boolean }) =>
      json(await call(o, 'GET', `/changes${o.unconfirmed ? '?status=unconfirmed' : ''}`)),
    );
  clientOption(
    agent
      .command('notices')
      .description(
        "Collect the vendors' notices now: receipts of data purged when a retention period ended, each checked",
      ),
  ).action(async (o: ClientOptions) => json(await call(o, 'POST', '/notices/check')));
  clientOption(agent.command('retry').description('Try every unconfirmed delivery now')).action(
    async (o: ClientOptions) => json(await call(o, 'POST', '/changes/retry')),
  );
  clientOption(
    agent.command('feedback').description('Send feedback or an error report to a vendor, as a signed event'),
  )
    .argument('<relationship>', 'relationship id (see "parley agent relationships")')
    .requiredOption('--subject <s>')
    .requiredOption('--body <s>')
    .option('--kind <k>', 'feedback, error-report or survey-answer', 'feedback')
    .action(async (id: string, o: ClientOptions & { subject: string; body: string; kind: string }) =>
      json(
        await call(o, 'POST', `/relationships/${id}/feedback`, {
          kind: o.kind,
          subject: o.subject,
          body: o.body,
        }),
      ),
    );
  clientOption(
    agent.command('terminate').description('End a relationship; the vendor returns or destroys the data'),
  )
    .argument('<relationship>', 'relationship id')
    .option('--disposition <d>', 'return or destroy', 'destroy')
    .action(async (id: string, o: ClientOptions & { disposition: string }) =>
      json(await call(o, 'POST', `/relationships/${id}/termination`, { dataDisposition: o.disposition })),
    );
  clientOption(
    agent
      .command('data')
      .description('Pull what a vendor holds about her (usage records included), to stdout'),
  )
    .argument('<relationship>', 'relationship id')
    .option('--format <f>', 'json or csv', 'json')
    .option(
      '--kind <k>',
      'one kind only (csv: default usage): party, agreement, accounts, services, usage, interactions, tickets',
    )
    .action(async (id: string, o: ClientOptions & { format: string; kind?: string }) => {
      const query = new URLSearchParams({ format: o.format, ...(o.kind ? { kind: o.kind } : {}) });
      const response = await call(o, 'GET', `/relationships/${id}/data?${query.toString()}`);
      if (!response.body) return;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
        process.stdout.write(chunk);
    });
}
