import type { FastifyRequest } from 'fastify';
import type { Principal, Role } from '../tenant/keys.js';
import { HttpProblem } from './problem.js';

/** Roles that change data. */
export const WRITERS: readonly Role[] = ['admin', 'agent'];
/** The vendor's own people: everyone but self-care keys. */
export const STAFF: readonly Role[] = ['admin', 'agent', 'readonly'];

/** The caller, as the server's authentication hook found it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}

/** The caller if its role is one of `roles`; otherwise 403 saying what the role may not do. */
export function requireRole(request: FastifyRequest, roles: readonly Role[], action: string): Principal {
  const principal = principalOf(request);
  if (!roles.includes(principal.role)) {
    throw new HttpProblem(
      403,
      'Forbidden',
      `authorization: the role "${principal.role}" may not ${action}`,
      'authorization',
    );
  }
  return principal;
}
