import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../calls/app/auth-service.js';
import type { Principal } from '../calls/app/principal.js';
import { can } from '../calls/app/principal.js';
import { centerError, type Permission } from '../center/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(h);
  return m?.[1] ?? '';
}

export async function authenticate(auth: AuthService, req: FastifyRequest): Promise<void> {
  req.principal = await auth.authenticate(bearer(req), req.ip);
}

/** The authenticated caller (set by the auth hook). */
export function who(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route reached without authentication');
  return req.principal;
}

/** Function-level check: the caller must hold `permission`. */
export function requirePermission(p: Principal, permission: Permission): void {
  if (!can(p, permission)) throw centerError('PERMISSION_DENIED', `requires ${permission}`);
}
