/**
 * Earshot's side of the call interop tests: the real UA core (`SipUserAgent`) on 127.0.0.1 with
 *  - a REGISTER middleware over `Registrar` + `DigestServer` + `LocationService` (as `src/calls/sip-front.ts`
 *    wires them, with a static user table instead of the store);
 *  - a minimal UAS app built from the UA verbs: `ringing()` then `answer(sdp)` (or ring only, for callers
 *    that CANCEL), BYE answered by the UA core;
 *  - a UAC helper that calls a URI, or a registered AOR through the location service (reaching TCP phones
 *    over their own connection).
 * Every call is recorded (`calls`) and waited on with deadlines (`waitCall`); `describe()` returns the UA's
 * debug log tail and its `dump()` for failure messages.
 */
import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { StaticCredentialProvider } from '../../src/sip/auth/credential-provider.js';
import type { DigestAlgorithm } from '../../src/sip/auth/digest-algorithm.js';
import { DigestServer } from '../../src/sip/auth/digest-server.js';
import {
  type Dialog,
  type DigestCredentials,
  type IncomingInvite,
  IncomingInviteState,
  type InviteOptions,
  type SipRequest,
  SipUserAgent,
  type TransportName,
} from '../../src/sip/index.js';
import { type Binding, LocationService } from '../../src/sip/registrar/location-service.js';
import { Registrar } from '../../src/sip/registrar/registrar.js';
import { SystemClock, type TimerHandle } from '../../src/util/clock.js';
import { freePorts, withDeadline } from '../support/sip-peers.js';

const HOST = '127.0.0.1';
const LOG_LIMIT = 400;

/** What the UAS app does with an INVITE. */
export type UasPolicy = 'answer' | 'ring' | 'reject';

export type CallState = 'ringing' | 'answered' | 'confirmed' | 'cancelled' | 'rejected' | 'failed' | 'ended';

/** One call as Earshot saw it. */
export interface EarshotCall {
  readonly n: number;
  readonly direction: 'in' | 'out';
  readonly callId: string;
  /** Request-URI user of an incoming INVITE / the target of an outgoing one. */
  readonly target: string;
  readonly transport: string | undefined;
  state: CallState;
  /** Who sent the BYE that ended it. */
  endedBy: 'remote' | 'local' | undefined;
  dialog: Dialog | undefined;
  offer: string | undefined;
  answer: string | undefined;
  error: string | undefined;
}

export interface EarshotPeerOptions {
  /** Registrar users (username → password). */
  readonly users?: Readonly<Record<string, string>>;
  /** Digest algorithms offered (default MD5 only: SIPp 3.6 and baresip 1.0 break on SHA-256). */
  readonly algorithms?: DigestAlgorithm[];
  readonly transports?: readonly TransportName[];
  /** UAS policy per INVITE (default: Request-URI user `ring` rings forever, `busy` is rejected, else answer). */
  readonly policy?: (req: SipRequest) => UasPolicy;
  /**
   * The UAS app's think time before 180 (default 0). Above 200 ms, the INVITE server transaction sends
   * its own 100 Trying first (RFC 3261 §17.2.1), so callers see 100, 180, 200.
   */
  readonly ringAfterMs?: number;
  /** Ringing time before the 200 (default 0). */
  readonly answerAfterMs?: number;
  /** The UA's `maxMessageSize` (default the stack's, 65,535). */
  readonly maxMessageSize?: number;
}

/** A minimal PCMU SDP (offer or answer) for `port`. */
export function pcmuSdp(port: number, session = 'earshot'): string {
  return [
    'v=0',
    `o=${session} ${Date.now() % 1_000_000} 1 IN IP4 ${HOST}`,
    `s=${session}`,
    `c=IN IP4 ${HOST}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export class EarshotPeer {
  readonly calls: EarshotCall[] = [];
  private readonly waiters = new Set<() => void>();
  /** The UAS app's pending ring/answer timers (cleared by close). */
  private readonly appTimers = new Set<TimerHandle>();

  private constructor(
    /** The UA's debug log (a bounded tail). */
    private readonly lines: string[],
    readonly ua: SipUserAgent,
    readonly location: LocationService,
    readonly registrar: Registrar,
    /** Where our SDP says RTP goes: a bound socket that swallows the peers' audio. */
    private readonly rtpSink: Socket,
    private readonly clock: SystemClock,
    private readonly options: EarshotPeerOptions,
  ) {}

  static async start(options: EarshotPeerOptions = {}): Promise<EarshotPeer> {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug', base: undefined, timestamp: false },
      {
        write(s: string) {
          lines.push(s.trimEnd());
          if (lines.length > LOG_LIMIT) lines.splice(0, lines.length - LOG_LIMIT);
        },
      },
    );
    const clock = new SystemClock();
    const [port, rtpPort] = (await freePorts(2)) as [number, number];
    const ua = await SipUserAgent.start({
      host: HOST,
      port,
      transports: options.transports ?? ['udp', 'tcp'],
      clock,
      logger,
      ...(options.maxMessageSize ? { maxMessageSize: options.maxMessageSize } : {}),
    });
    const location = new LocationService({ clock });
    const auth = new DigestServer({
      clock,
      realm: 'earshot',
      credentials: new StaticCredentialProvider({ ...options.users }),
      algorithms: options.algorithms ?? ['MD5'],
      logger,
    });
    const registrar = new Registrar({ clock, location, auth, logger });
    const rtpSink = createSocket('udp4');
    rtpSink.on('message', () => undefined);
    await new Promise<void>((resolve) => rtpSink.bind(rtpPort, HOST, resolve));
    const peer = new EarshotPeer(lines, ua, location, registrar, rtpSink, clock, options);
    peer.install();
    return peer;
  }

  get port(): number {
    return this.ua.port;
  }

  get rtpPort(): number {
    return (this.rtpSink.address() as { port: number }).port;
  }

  private install(): void {
    this.ua.use('REGISTER', async (req, res) => {
      const a = await this.registrar.handle(req);
      const headers: Record<string, string[]> = {};
      for (const [name, value] of a.headers) {
        const key = name.toLowerCase();
        headers[key] = [...(headers[key] ?? []), value];
      }
      res.send(a.status, { reason: a.reason, headers });
    });
    this.ua.onInvite((req, uas) => this.onInvite(req, uas));
  }

  private onInvite(req: SipRequest, uas: IncomingInvite): void {
    const call = this.record({
      direction: 'in',
      callId: req.callId,
      target: req.uri.kind === 'sip' ? (req.uri.user ?? '') : '',
      transport: req.source?.transport,
      offer: uas.offer,
    });
    const policy = (this.options.policy ?? defaultPolicy)(req);
    if (policy === 'reject') {
      uas.reject(486);
      this.update(call, { state: 'rejected' });
      return;
    }
    let timer = this.after(this.options.ringAfterMs ?? 0, () => {
      if (uas.state !== IncomingInviteState.Pending) return;
      uas.ringing();
      if (policy === 'ring') return;
      timer = this.after(this.options.answerAfterMs ?? 0, () => {
        if (uas.state === IncomingInviteState.Early) this.answer(call, req, uas);
      });
    });
    uas.on('cancel', () => {
      this.clock.clearTimer(timer);
      this.appTimers.delete(timer);
      this.update(call, { state: 'cancelled' });
    });
  }

  private after(ms: number, fn: () => void): TimerHandle {
    const t = this.clock.setTimer(ms, () => {
      this.appTimers.delete(t);
      fn();
    });
    this.appTimers.add(t);
    return t;
  }

  private answer(call: EarshotCall, req: SipRequest, uas: IncomingInvite): void {
    const answer = pcmuSdp(this.rtpPort);
    const confirmed = uas.answer(answer);
    this.update(call, { state: 'answered', answer });
    // The dialog exists from the 2xx on (a BYE may come before the ACK when the ACK is lost).
    const dialog = this.ua.dialogs.find((d) => d.id.callId === req.callId && d.id.localTag === uas.res.toTag);
    if (dialog) this.watch(call, dialog);
    confirmed.then(
      () => {
        if (call.state === 'answered') this.update(call, { state: 'confirmed' });
      },
      (err: unknown) => {
        if (call.state === 'answered') this.update(call, { state: 'failed', error: String(err) });
      },
    );
  }

  private watch(call: EarshotCall, dialog: Dialog): void {
    call.dialog = dialog;
    dialog.once('terminated', (reason) => {
      const endedBy = reason === 'bye-received' ? 'remote' : reason === 'bye-sent' ? 'local' : undefined;
      this.update(call, {
        state: endedBy ? 'ended' : 'failed',
        endedBy,
        error: endedBy ? undefined : reason,
      });
    });
    this.changed();
  }

  /**
   * Places a call (UAC) with a PCMU offer. Resolves once the INVITE is answered (the call is then
   * `confirmed`, its ACK sent) or rejects with the UA's error.
   */
  async call(target: string, options: InviteOptions = {}): Promise<EarshotCall> {
    const offer = pcmuSdp(this.rtpPort);
    const call = this.record({
      direction: 'out',
      callId: '',
      target,
      transport: options.destination?.transport ?? options.transport,
      offer,
    });
    try {
      const r = await this.ua.invite(target, { sdp: offer, ...options });
      (call as { callId: string }).callId = r.dialog.id.callId;
      call.answer = r.answerSdp;
      this.update(call, { state: 'confirmed' });
      this.watch(call, r.dialog);
      return call;
    } catch (err) {
      this.update(call, { state: 'failed', error: String(err) });
      throw err;
    }
  }

  /**
   * Calls a registered AOR: looks its bindings up in the location service and sends the INVITE to the
   * best one's Contact, through the flow its REGISTER came from (its TCP connection, or its UDP source).
   */
  callAor(aor: string, options: InviteOptions = {}): Promise<EarshotCall> {
    const binding = this.location.lookup(aor)[0];
    if (!binding) return Promise.reject(new Error(`no binding for ${aor}\n${this.describe()}`));
    const src = binding.source;
    return this.call(binding.contact, {
      to: `<${aor}>`,
      ...(src
        ? {
            destination: {
              transport: src.transport as TransportName,
              address: src.address,
              port: src.port,
              connectionId: src.connectionId,
            },
          }
        : {}),
      ...options,
    });
  }

  /**
   * Resolves with the bindings of `aor` once it has one (the registrar's side of a REGISTER_OK, which
   * cannot be missed: baresip may register before its ctrl_tcp connection is up and its event lost).
   */
  waitBinding(aor: string, ms: number): Promise<Binding[]> {
    return waitBound(this.location, aor, ms, () => this.describe());
  }

  /** Resolves with the first call (recorded or to come) matching `match`. */
  waitCall(match: (c: EarshotCall) => boolean, ms: number, what = 'call'): Promise<EarshotCall> {
    const found = this.calls.find(match);
    if (found) return Promise.resolve(found);
    let waiter: (() => void) | undefined;
    const p = new Promise<EarshotCall>((resolve) => {
      waiter = () => {
        const c = this.calls.find(match);
        if (c) resolve(c);
      };
      this.waiters.add(waiter);
    });
    return withDeadline(p, ms, () => `earshot: no ${what} within ${ms} ms\n${this.describe()}`).finally(
      () => waiter && this.waiters.delete(waiter),
    );
  }

  /** Resolves once `cond()` holds, re-checked whenever a call changes. */
  async until(cond: () => boolean, ms: number, what: string): Promise<void> {
    if (cond()) return;
    let waiter: (() => void) | undefined;
    const p = new Promise<void>((resolve) => {
      waiter = () => {
        if (cond()) resolve();
      };
      this.waiters.add(waiter);
    });
    await withDeadline(p, ms, () => `earshot: not ${what} within ${ms} ms\n${this.describe()}`).finally(
      () => waiter && this.waiters.delete(waiter),
    );
  }

  describe(): string {
    const calls = this.calls.map((c) => ({
      ...c,
      dialog: c.dialog?.dump(),
      offer: undefined,
      answer: undefined,
    }));
    return [
      `── earshot (sip ${HOST}:${this.safePort()}) calls ──`,
      JSON.stringify(calls),
      `── earshot dump ──`,
      safeJson(() => this.ua.dump()),
      `── earshot log (tail) ──`,
      ...this.lines.slice(-120),
    ].join('\n');
  }

  async close(): Promise<void> {
    for (const t of this.appTimers) this.clock.clearTimer(t);
    this.appTimers.clear();
    this.location.close();
    await this.ua.close();
    await new Promise<void>((resolve) => {
      try {
        this.rtpSink.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }

  private safePort(): string {
    try {
      return String(this.ua.port);
    } catch {
      return '?';
    }
  }

  private record(
    init: Pick<EarshotCall, 'direction' | 'callId' | 'target' | 'transport' | 'offer'>,
  ): EarshotCall {
    const call: EarshotCall = {
      n: this.calls.length + 1,
      state: 'ringing',
      endedBy: undefined,
      dialog: undefined,
      answer: undefined,
      error: undefined,
      ...init,
    };
    this.calls.push(call);
    this.changed();
    return call;
  }

  private update(call: EarshotCall, patch: Partial<EarshotCall>): void {
    Object.assign(call, patch);
    this.changed();
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Resolves with the bindings of `aor` as soon as the location service holds one. */
export function waitBound(
  location: LocationService,
  aor: string,
  ms: number,
  describe: () => string = () => '',
): Promise<Binding[]> {
  const now = location.lookup(aor);
  if (now.length) return Promise.resolve(now);
  let listener: (() => void) | undefined;
  const p = new Promise<Binding[]>((resolve) => {
    listener = () => {
      const b = location.lookup(aor);
      if (b.length) resolve(b);
    };
    location.on('bound', listener);
  });
  return withDeadline(p, ms, () => `no binding for ${aor} within ${ms} ms\n${describe()}`).finally(
    () => listener && location.off('bound', listener),
  );
}

function defaultPolicy(req: SipRequest): UasPolicy {
  const user = req.uri.kind === 'sip' ? req.uri.user : undefined;
  if (user === 'ring') return 'ring';
  if (user === 'busy') return 'reject';
  return 'answer';
}

function safeJson(f: () => unknown): string {
  try {
    return JSON.stringify(f());
  } catch (err) {
    return `(dump failed: ${String(err)})`;
  }
}

export type { DigestCredentials };
