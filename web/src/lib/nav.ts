import { type Me, PERM_ANALYTICS, PERM_COACH, PERM_MONITOR } from './types.js';

/** Supervisors' pages: Performance > Interactions and the details page (R14). */
export function canSupervise(me: Me): boolean {
  return [PERM_ANALYTICS, PERM_MONITOR, PERM_COACH].some((p) => me.permissions.includes(p)) || isAdmin(me);
}

/** Admin pages: the `admin` role, or a provisioning permission (`admin:*`, `directory:*`, `*`). */
export function isAdmin(me: Me): boolean {
  return (
    (me.roles ?? []).includes('admin') ||
    me.permissions.some((p) => p === '*' || p.startsWith('admin:') || p.startsWith('directory:'))
  );
}
