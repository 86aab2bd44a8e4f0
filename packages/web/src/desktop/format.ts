/** "2 h 05 min" from seconds (absolute value); seconds shown under ten minutes, so the timer visibly moves. */
export function duration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m >= 10) return `${m} min`;
  return `${m} min ${String(rest).padStart(2, '0')} s`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function day(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
}

/** The name a TMF632 individual goes by. */
export function personName(p: { formattedName?: string; givenName?: string; familyName?: string }): string {
  return p.formattedName ?? ([p.givenName, p.familyName].filter(Boolean).join(' ') || '(no name)');
}

/** DPV purpose names made readable: `ServiceAnalytics` → "Service analytics". */
export function purposeLabel(purpose: string): string {
  const words = purpose.match(/[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+/g) ?? [purpose];
  const text = words.map((w) => (/^[A-Z]{2,}$/.test(w) ? w : w.toLowerCase())).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
