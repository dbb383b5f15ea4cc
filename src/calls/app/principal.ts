import type { Permission } from '../../center/index.js';

/** Who is calling: the authenticated user, their org and permissions, and where from. */
export interface Principal {
  readonly userId: string;
  readonly orgId: string;
  readonly username: string;
  readonly permissions: readonly Permission[];
  readonly sourceAddress: string;
}

export function can(p: Principal, permission: Permission): boolean {
  return p.permissions.includes(permission);
}
