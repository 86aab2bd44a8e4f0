/** An error a person can act on (the problem+json `detail`), read out by screen readers when it appears. */
export function ErrorMessage({ message, testId }: { message: string | null; testId?: string }) {
  if (!message) return null;
  return (
    <p className="error" role="alert" data-testid={testId ?? 'error'}>
      {message}
    </p>
  );
}

/** A part of the desktop whose endpoint this CRM does not offer (yet): said plainly, nothing called. */
export function NotAvailable({ what, endpoint, testId }: { what: string; endpoint: string; testId: string }) {
  return (
    <p className="not-available" data-testid={testId} data-available="false">
      {what} is not available on this CRM (it has no <code>{endpoint}</code>).
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
