/** The console's routes, kept in the URL hash so `web/dist` is served as plain static files. */
export type Route =
  | { page: 'login' }
  | { page: 'agent' }
  | { page: 'interactions' }
  | { page: 'interaction'; id: string }
  | { page: 'admin'; tab: 'users' | 'roles' | 'phones' | 'queues' }
  | { page: 'not-found' };

const ADMIN_TABS = ['users', 'roles', 'phones', 'queues'] as const;

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [a, b] = parts;
  if (!a) return { page: 'agent' };
  if (a === 'login') return { page: 'login' };
  if (a === 'agent') return { page: 'agent' };
  if (a === 'interactions') return b ? { page: 'interaction', id: b } : { page: 'interactions' };
  if (a === 'admin') {
    const tab = ADMIN_TABS.find((t) => t === b) ?? 'users';
    return { page: 'admin', tab };
  }
  return { page: 'not-found' };
}

export function routeHref(r: Route): string {
  switch (r.page) {
    case 'interaction':
      return `#/interactions/${encodeURIComponent(r.id)}`;
    case 'admin':
      return `#/admin/${r.tab}`;
    case 'not-found':
      return '#/';
    default:
      return `#/${r.page}`;
  }
}
