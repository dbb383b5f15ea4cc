import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient } from './api-client.js';
import { AppContext, type AppContextValue } from './app-context.js';
import { Shell } from './components/shell.js';
import type { Me } from './lib/types.js';
import { type LinkState, NotificationsClient } from './notifications-client.js';
import { LoginPage } from './pages/login-page.js';
import { usePhone } from './phone/use-phone.js';
import { navigate, useHashRoute } from './use-hash-route.js';

const AgentDesktop = lazy(() => import('./pages/agent-desktop.js'));
const InteractionsPage = lazy(() => import('./pages/interactions-page.js'));
const InteractionDetails = lazy(() => import('./pages/interaction-details.js'));
const AdminPage = lazy(() => import('./pages/admin-page.js'));

/** The console: login gate, then the shell with the page the hash names. */
export function App() {
  const api = useMemo(() => new ApiClient(), []);
  const route = useHashRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [booting, setBooting] = useState(() => api.token !== null);
  const [loginMessage, setLoginMessage] = useState('');

  useEffect(() => {
    api.onUnauthorized = (message) => {
      setMe(null);
      setLoginMessage(message);
      navigate('#/login');
    };
  }, [api]);

  const refreshMe = useCallback(async () => setMe(await api.me()), [api]);

  useEffect(() => {
    if (!api.token) return;
    api
      .me()
      .then(setMe)
      .catch(() => {})
      .finally(() => setBooting(false));
  }, [api]);

  const onLoggedIn = useCallback(async () => {
    setLoginMessage('');
    await refreshMe();
    if (parseLoginRoute()) navigate('#/');
  }, [refreshMe]);

  const signOut = useCallback(() => {
    api.logout();
    setMe(null);
    setLoginMessage('You have signed out.');
    navigate('#/login');
  }, [api]);

  if (booting) return <p className="boot">Loading…</p>;
  if (!me) return <LoginPage api={api} message={loginMessage} onLoggedIn={onLoggedIn} />;
  return <SignedIn api={api} me={me} refreshMe={refreshMe} route={route} onSignOut={signOut} />;
}

function parseLoginRoute(): boolean {
  return location.hash === '' || location.hash.startsWith('#/login');
}

function SignedIn(props: {
  api: ApiClient;
  me: Me;
  refreshMe(): Promise<void>;
  route: ReturnType<typeof useHashRoute>;
  onSignOut(): void;
}) {
  const { api, me, refreshMe, route } = props;
  const notifications = useMemo(
    () =>
      new NotificationsClient(
        () => api.token,
        // The socket would not open: if the token expired, this 401 sends us to the login page.
        () => void api.me().catch(() => {}),
      ),
    [api],
  );
  const [link, setLink] = useState<{ state: LinkState; retryInMs?: number }>({ state: 'closed' });
  useEffect(() => {
    const off = notifications.onState((state, info) => setLink({ state, ...info }));
    notifications.start();
    return () => {
      off();
      notifications.close();
    };
  }, [notifications]);

  const phone = usePhone(api, me);
  const ctx: AppContextValue = useMemo(
    () => ({ api, me, refreshMe, notifications, phone }),
    [api, me, refreshMe, notifications, phone],
  );

  let page: React.ReactNode;
  switch (route.page) {
    case 'interactions':
      page = <InteractionsPage />;
      break;
    case 'interaction':
      page = <InteractionDetails id={route.id} />;
      break;
    case 'admin':
      page = <AdminPage tab={route.tab} />;
      break;
    case 'not-found':
      page = <p role="alert">Page not found.</p>;
      break;
    default:
      page = <AgentDesktop />;
  }
  return (
    <AppContext.Provider value={ctx}>
      <Shell route={route} link={link} onSignOut={props.onSignOut}>
        <Suspense fallback={<p>Loading…</p>}>{page}</Suspense>
      </Shell>
    </AppContext.Provider>
  );
}
