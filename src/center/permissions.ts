import type { Role } from './org-types.js';

/** Permission names (R1: names are our decision, after the vendor's `Conversation > Call > Monitor/Coach`). */
export const PERMISSIONS = {
  monitor: 'conversation:call:monitor',
  coach: 'conversation:call:coach',
  analyticsView: 'analytics:conversation:view',
  takeCalls: 'conversation:call:accept',
  goOnQueue: 'routing:queue:join',
  controlOwnCalls: 'conversation:call:control',
  provision: 'admin:provision',
} as const;

export type Permission = (typeof PERMISSIONS)[keyof typeof PERMISSIONS];

const AGENT: readonly Permission[] = [
  PERMISSIONS.takeCalls,
  PERMISSIONS.goOnQueue,
  PERMISSIONS.controlOwnCalls,
];
const SUPERVISOR: readonly Permission[] = [
  ...AGENT,
  PERMISSIONS.monitor,
  PERMISSIONS.coach,
  PERMISSIONS.analyticsView,
];
const ADMIN: readonly Permission[] = Object.values(PERMISSIONS);

/**
 * CONTRACT.md §2: `agent` → take calls, go on queue, control own calls; `supervisor` → agent's +
 * `conversation:call:monitor`, `conversation:call:coach`, `analytics:conversation:view`;
 * `admin` → everything, including provisioning.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  agent: AGENT,
  supervisor: SUPERVISOR,
  admin: ADMIN,
};

/** The union of the roles' permissions, sorted, without duplicates. */
export function permissionsForRoles(roles: readonly Role[]): Permission[] {
  const set = new Set<Permission>();
  for (const r of roles) for (const p of ROLE_PERMISSIONS[r] ?? []) set.add(p);
  return [...set].sort();
}

export function hasPermission(permissions: readonly string[], permission: Permission): boolean {
  return permissions.includes(permission);
}
