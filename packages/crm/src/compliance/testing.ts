import assert from 'node:assert/strict';
import type { TestApi } from '../testing/api.js';

/** A clock tests move: the CRM receives events and judges retention by it. */
export function movableClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => (offset += ms) };
}

/** Sets tenant a's vendor profile: the terms it accepts, and whatever else the test needs. */
export async function vendorProfile(api: TestApi, accepts: string[], extra: Record<string, unknown> = {}) {
  const profile = (await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile')).body as Record<
    string,
    unknown
  >;
  const put = await api.call(api.keys.a, 'PUT', '/crm/v1/vendorProfile', {
    ...profile,
    policy: { accepts },
    ...extra,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  return put.body as Record<string, unknown>;
}
