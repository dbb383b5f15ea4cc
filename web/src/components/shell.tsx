import type { ReactNode } from 'react';
import { useApp } from '../app-context.js';
import { canSupervise, isAdmin } from '../lib/nav.js';
import type { Route } from '../lib/route.js';
import type { LinkState } from '../notifications-client.js';
import { PhoneStatus } from './phone-status.js';

/** The console frame: navigation by permission, the user, the phone and the live-link banner. */
export function Shell(props: {
  route: Route;
  link: { state: LinkState; retryInMs?: number };
  onSignOut(): void;
  children: ReactNode;
}) {
  const { me } = useApp();
  const { route, link } = props;
  const current = (page: string) => (route.page === page ? 'page' : undefined);
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Earshot</span>
        <nav aria-label="Main">
          <a href="#/agent" aria-current={current('agent')}>
            Agent desktop
          </a>
          {canSupervise(me) && (
            <a
              href="#/interactions"
              aria-current={
                route.page === 'interactions' || route.page === 'interaction' ? 'page' : undefined
              }
            >
              Performance › Interactions
            </a>
          )}
          {isAdmin(me) && (
            <a href="#/admin/users" aria-current={current('admin')}>
              Admin
            </a>
          )}
        </nav>
        <div className="who">
          <PhoneStatus />
          <span className="user" title="Signed in as">
            {me.name}
          </span>
          <button type="button" className="link" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {link.state === 'reconnecting' && (
        <div className="banner warn" role="alert">
          Live updates disconnected. Reconnecting
          {link.retryInMs !== undefined ? ` in ${Math.ceil(link.retryInMs / 1000)} s` : ''}… What you see may
          be out of date.
        </div>
      )}
      <main>{props.children}</main>
    </div>
  );
}
