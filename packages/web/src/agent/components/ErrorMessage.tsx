/** An error a person can act on (the problem+json `detail`), read out by screen readers when it appears. */
export function ErrorMessage({ message, testId }: { message: string | null; testId?: string }) {
  if (!message) return null;
  return (
    <p className="error" role="alert" data-testid={testId ?? 'error'}>
      {message}
    </p>
  );
}
