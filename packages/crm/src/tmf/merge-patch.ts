/** RFC 7396 JSON Merge Patch: null removes a member, objects merge recursively, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? (target as Record<string, unknown>)
      : {};
  const removed = new Set(
    Object.keys(patch).filter((key) => (patch as Record<string, unknown>)[key] === null),
  );
  const result: Record<string, unknown> = Object.fromEntries(
    Object.entries(base).filter(([key]) => !removed.has(key)),
  );
  for (const [key, value] of Object.entries(patch)) {
    if (value !== null) result[key] = mergePatch(result[key], value);
  }
  return result;
}
