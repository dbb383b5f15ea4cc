import {
  type Invitation,
  Registerer,
  RegistererState,
  type Session,
  SessionState,
  UserAgent,
  UserAgentState,
  type Web,
} from 'sip.js';
import { backoffDelay } from '../lib/backoff.js';
import { AudioProbe } from './audio-probe.js';

/**
 * Registration states of the browser phone.
 *
 *   idle ─start()─▶ connecting ─ws open─▶ registering ─200─▶ registered
 *                     ▲                        │ 401/403 twice      │ ws drops
 *                     │                        ▼                    ▼
 *                     └──────── timer ──── reconnecting ◀───────────┘
 *   registering ─rejected─▶ failed          any ─close()─▶ closed
 */
export type PhoneState =
  | 'idle'
  | 'connecting'
  | 'registering'
  | 'registered'
  | 'reconnecting'
  | 'failed'
  | 'closed';
export type CallState = 'none' | 'ringing' | 'connected';

export interface PhoneSnapshot {
  state: PhoneState;
  call: CallState;
  autoAnswered: boolean;
  remote: string;
  message: string;
  retryInMs?: number;
}

export interface PhoneCredentials {
  sipUser: string;
  password: string;
  domain?: string;
}

/**
 * RFC 5373 §5–6: an INVITE asking to be answered without user action carries `Answer-Mode: Auto`;
 * the older conventions `Call-Info: <…>;answer-after=0` and `Alert-Info: <urn:alert:service:auto-answer>`
 * (CONTRACT.md §3) mean the same.
 */
export function wantsAutoAnswer(header: (name: string) => string | undefined): boolean {
  const mode = header('Answer-Mode');
  if (mode && /^\s*auto\b/i.test(mode)) return true;
  const info = header('Call-Info');
  if (info && /answer-after\s*=\s*0\b/i.test(info)) return true;
  const alert = header('Alert-Info');
  return !!alert && /urn:alert:service:auto-answer/i.test(alert);
}

/**
 * Microphone constraints. The browser's voice processing (echo cancellation, noise suppression,
 * automatic gain) stays on by default; `localStorage['earshot.audioProcessing'] = 'off'` turns it
 * off (a studio microphone, or tone tests: noise suppression treats a steady tone as noise).
 */
export function audioConstraints(): boolean | MediaTrackConstraints {
  let off = false;
  try {
    off = localStorage.getItem('earshot.audioProcessing') === 'off';
  } catch {
    /* storage unavailable: defaults */
  }
  return off ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false } : true;
}

/**
 * The console's SIP.js phone for users whose phone kind is `webrtc`: registers
 * `sip:<sipUser>@<host>` over `ws(s)://<same host>/sip`, auto-answers calls that ask for it,
 * rings otherwise, plays the received audio (through the AudioProbe) and sends the microphone.
 */
export class BrowserPhone {
  private ua: UserAgent | null = null;
  private registerer: Registerer | null = null;
  private session: Session | null = null;
  private pending: Invitation | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private snap: PhoneSnapshot = { state: 'idle', call: 'none', autoAnswered: false, remote: '', message: '' };
  private readonly listeners = new Set<(s: PhoneSnapshot) => void>();
  private readonly probe = new AudioProbe();
  private readonly log: string[] = [];
  /** The test hook; a phone closing after its successor started must not remove the successor's. */
  private readonly hook = { dump: () => this.dump(), log: () => [...this.log] };

  constructor(
    private readonly credentials: PhoneCredentials,
    private readonly host = location.hostname,
    private readonly wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sip`,
  ) {
    window.__earshotPhone = this.hook;
  }

  onChange(fn: (s: PhoneSnapshot) => void): () => void {
    this.listeners.add(fn);
    fn(this.snap);
    return () => this.listeners.delete(fn);
  }

  dump(): PhoneSnapshot {
    return { ...this.snap };
  }

  async start(): Promise<void> {
    if (this.snap.state !== 'idle') return;
    const domain = this.credentials.domain ?? this.host;
    const uri = UserAgent.makeURI(`sip:${this.credentials.sipUser}@${domain}`);
    if (!uri) return this.update({ state: 'failed', message: 'Invalid phone address.' });
    const sdhOptions: Web.SessionDescriptionHandlerConfiguration = {
      iceGatheringTimeout: 500,
      peerConnectionConfiguration: { iceServers: [] },
    };
    this.ua = new UserAgent({
      uri,
      authorizationUsername: this.credentials.sipUser,
      authorizationPassword: this.credentials.password,
      transportOptions: { server: this.wsUrl },
      logBuiltinEnabled: false,
      logLevel: 'log',
      // SIP.js logs go to a small ring buffer (window.__earshotPhoneLog) instead of the console.
      logConnector: (level, category, _label, content) => {
        this.log.push(`${level} ${category} ${content.slice(0, 300)}`);
        if (this.log.length > 200) this.log.shift();
      },
      sessionDescriptionHandlerFactoryOptions: sdhOptions,
      delegate: {
        onDisconnect: (error) => {
          if (error) this.scheduleReconnect('Phone connection lost.');
        },
        onInvite: (inv) => this.incoming(inv),
      },
    });
    this.registerer = new Registerer(this.ua, { expires: 300 });
    this.registerer.stateChange.addListener((s) => {
      if (s === RegistererState.Registered) {
        this.attempt = 0;
        this.update({ state: 'registered', message: '' });
      }
    });
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (!this.ua || !this.registerer || this.snap.state === 'closed') return;
    this.update({ state: 'connecting', message: '' });
    try {
      if (this.ua.state === UserAgentState.Stopped) await this.ua.start();
      else await this.ua.reconnect();
    } catch {
      return this.scheduleReconnect('Cannot reach the phone server.');
    }
    this.update({ state: 'registering' });
    await this.registerer
      .register({
        requestDelegate: {
          // The Registerer reports only state *changes*: a re-REGISTER after a reconnect stays
          // "Registered" for it, so the 2xx itself marks the phone ready again.
          onAccept: () => {
            this.attempt = 0;
            this.update({ state: 'registered', message: '' });
          },
          onReject: (res) => {
            const code = res.message.statusCode;
            this.update({
              state: 'failed',
              message:
                code === 401 || code === 403
                  ? 'Phone registration refused: bad credentials.'
                  : `Phone registration failed (${code}).`,
            });
          },
        },
      })
      .catch(() => this.scheduleReconnect('Phone registration failed.'));
  }

  private scheduleReconnect(message: string): void {
    if (this.snap.state === 'closed' || this.timer) return;
    this.endCall();
    const retryInMs = backoffDelay(this.attempt++);
    this.update({ state: 'reconnecting', message, retryInMs });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, retryInMs);
  }

  private incoming(inv: Invitation): void {
    if (this.session || this.pending) {
      // One call at a time on the browser phone: 486 Busy Here.
      inv.reject({ statusCode: 486 }).catch(() => {});
      return;
    }
    const auto = wantsAutoAnswer((name) => inv.request.getHeader(name));
    this.pending = inv;
    const remote = inv.remoteIdentity.displayName || inv.remoteIdentity.uri.user || 'Unknown';
    inv.stateChange.addListener((s) => this.sessionState(inv, s));
    this.update({ call: 'ringing', autoAnswered: auto, remote });
    if (auto) void this.answer();
  }

  async answer(): Promise<void> {
    const inv = this.pending;
    if (!inv) return;
    try {
      await inv.accept({
        sessionDescriptionHandlerOptions: { constraints: { audio: audioConstraints(), video: false } },
      });
    } catch {
      this.update({ message: 'Could not answer the call (microphone?).' });
    }
  }

  async hangup(): Promise<void> {
    const s = this.session;
    const inv = this.pending;
    if (s && s.state === SessionState.Established) await s.bye().catch(() => {});
    else if (inv && inv.state === SessionState.Initial) await inv.reject().catch(() => {});
  }

  private sessionState(inv: Invitation, s: SessionState): void {
    if (s === SessionState.Established) {
      this.pending = null;
      this.session = inv;
      const sdh = inv.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
      if (sdh) this.probe.attach(sdh.remoteMediaStream);
      this.update({ call: 'connected' });
    } else if (s === SessionState.Terminated) {
      if (this.pending === inv) this.pending = null;
      if (this.session === inv) this.session = null;
      this.probe.detach();
      this.update({ call: 'none', autoAnswered: false, remote: '' });
    }
  }

  private endCall(): void {
    this.probe.detach();
    this.session = null;
    this.pending = null;
    if (this.snap.call !== 'none') this.update({ call: 'none', autoAnswered: false, remote: '' });
  }

  private update(patch: Partial<PhoneSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    if (patch.state && patch.state !== 'reconnecting') delete this.snap.retryInMs;
    for (const fn of this.listeners) fn(this.snap);
  }

  async close(): Promise<void> {
    if (this.snap.state === 'closed') return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.update({ state: 'closed' });
    await this.hangup();
    await this.registerer?.unregister().catch(() => {});
    await this.ua?.stop().catch(() => {});
    this.probe.close();
    if (window.__earshotPhone === this.hook) window.__earshotPhone = undefined;
  }
}

declare global {
  interface Window {
    __earshotPhone?: { dump(): PhoneSnapshot; log(): string[] };
  }
}
