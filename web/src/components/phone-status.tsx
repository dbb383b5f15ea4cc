import { useApp } from '../app-context.js';

const LABEL: Record<string, string> = {
  idle: 'starting',
  connecting: 'connecting',
  registering: 'registering',
  registered: 'ready',
  reconnecting: 'disconnected',
  failed: 'failed',
  closed: 'off',
};

/** The browser phone's state in the top bar, with a clear message when it is not usable. */
export function PhoneStatus() {
  const { me, phone } = useApp();
  if (!me.phone) return <span className="pill muted">No phone</span>;
  if (me.phone.kind !== 'webrtc')
    return (
      <span className="pill muted">
        Phone: {me.phone.kind === 'sip' ? 'SIP device' : `remote ${me.phone.number ?? ''}`}
      </span>
    );
  const s = phone.snapshot;
  const state = s?.state ?? 'idle';
  const tone =
    state === 'registered' ? 'ok' : state === 'failed' || state === 'reconnecting' ? 'bad' : 'muted';
  return (
    <span className="phone-status">
      <span className={`pill ${tone}`} role="status" aria-label="Browser phone">
        Phone {LABEL[state]}
        {s?.call === 'connected' ? ' · on call' : s?.call === 'ringing' ? ' · ringing' : ''}
      </span>
      {s?.message && (state === 'failed' || state === 'reconnecting') && (
        <span className="phone-msg" role="alert">
          {s.message}
          {state === 'reconnecting' && s.retryInMs !== undefined
            ? ` Retrying in ${Math.ceil(s.retryInMs / 1000)} s.`
            : ''}
        </span>
      )}
    </span>
  );
}
