import { createContext, useContext, useEffect, useRef, useState } from 'react';
import type { ApiClient } from './api-client.js';
import type { Me } from './lib/types.js';
import type { Notification, NotificationsClient } from './notifications-client.js';
import type { PhoneSnapshot } from './phone/browser-phone.js';

/** What the browser phone offers the pages (the SIP.js chunk itself loads lazily). */
export interface PhoneHandle {
  snapshot: PhoneSnapshot | null;
  answer(): void;
  hangup(): void;
}

export interface AppContextValue {
  api: ApiClient;
  me: Me;
  refreshMe(): Promise<void>;
  notifications: NotificationsClient;
  phone: PhoneHandle;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside AppContext');
  return v;
}

/** Subscribes to a notification topic while mounted. */
export function useTopic(topic: string | null, fn: (n: Notification) => void): void {
  const { notifications } = useApp();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!topic) return;
    return notifications.subscribe(topic, (n) => ref.current(n));
  }, [notifications, topic]);
}

/** Calls `fn` each time the notifications link comes back after a drop. */
export function useReconnect(fn: () => void): void {
  const { notifications } = useApp();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => notifications.onReconnect(() => ref.current()), [notifications]);
}

/** A clock for durations on screen, ticking once a second. */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [periodMs]);
  return now;
}
