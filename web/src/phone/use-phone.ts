import { useEffect, useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../api-client.js';
import type { PhoneHandle } from '../app-context.js';
import type { Me } from '../lib/types.js';
import type { BrowserPhone, PhoneSnapshot } from './browser-phone.js';

/**
 * Runs the browser phone for a user whose selected phone is of kind `webrtc`. SIP.js is loaded
 * here, on demand, so it stays out of the console's initial JavaScript.
 */
export function usePhone(api: ApiClient, me: Me): PhoneHandle {
  const [snapshot, setSnapshot] = useState<PhoneSnapshot | null>(null);
  const [phone, setPhone] = useState<BrowserPhone | null>(null);
  const webrtc = me.phone?.kind === 'webrtc';
  // The phone's SIP user appears in `me` once credentials were issued: it must not restart the
  // phone (a restart would rotate the credentials and drop a call in progress).
  const sipUser = useRef(me.phone?.sipUser);
  sipUser.current = me.phone?.sipUser;

  useEffect(() => {
    if (!webrtc) return;
    let closed = false;
    let instance: BrowserPhone | null = null;
    setSnapshot({ state: 'connecting', call: 'none', autoAnswered: false, remote: '', message: '' });
    (async () => {
      try {
        const [{ BrowserPhone }, creds] = await Promise.all([
          import('./browser-phone.js'),
          api.phoneCredentials(),
        ]);
        if (closed) return;
        instance = new BrowserPhone({ ...creds, sipUser: creds.sipUser ?? sipUser.current ?? '' });
        instance.onChange((s) => setSnapshot(s));
        setPhone(instance);
        await instance.start();
      } catch {
        if (!closed)
          setSnapshot({
            state: 'failed',
            call: 'none',
            autoAnswered: false,
            remote: '',
            message: 'The browser phone could not start (no phone credentials).',
          });
      }
    })();
    return () => {
      closed = true;
      setPhone(null);
      void instance?.close();
    };
  }, [api, webrtc]);

  return useMemo(
    () => ({
      snapshot,
      answer: () => void phone?.answer(),
      hangup: () => void phone?.hangup(),
    }),
    [snapshot, phone],
  );
}
