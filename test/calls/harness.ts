/**
 * The real Earshot server composed in-process for call tests: a store on a temp SQLite file, the
 * application services, the API app (requests through `app.inject`), call control, the SIP UA with
 * the registrar on a free port, and the media engine on a free port range. Parties are baresip
 * processes, each playing its own tone; `Capture` (tcpdump on lo) is the ground truth of audio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { applyProvisioning, type ProvisioningDoc } from '../../src/calls/app/provisioning.js';
import { type AppServices, createAppServices } from '../../src/calls/app/services.js';
import { CallControl } from '../../src/calls/call-control.js';
import { recoverOpenConversations } from '../../src/calls/crash-recovery.js';
import { type SipFront, startSipFront } from '../../src/calls/sip-front.js';
import { MediaEngine } from '../../src/media/media-engine.js';
import { WebRtcGateway } from '../../src/media/webrtc/webrtc-gateway.js';
import { openStore, type Store } from '../../src/store/database.js';
import { findUserByUsername } from '../../src/store/user.repository.js';
import { SystemClock } from '../../src/util/clock.js';
import { type BaresipPeer, freePorts, PeerSet, startBaresip, writeToneWav } from '../support/sip-peers.js';

export const HOST = '127.0.0.1';
export const TONES = { customer: 440, agent: 1000, agent2: 1400, supervisor: 1800 } as const;

export interface Participant {
  id: string;
  purpose: string;
  userId?: string;
  state: string;
  held: boolean;
  monitoredParticipantId?: string;
  coachedParticipantId?: string;
}
export interface ConversationBody {
  id: string;
  state: string;
  participants: Participant[];
}
export interface TimelineEntry {
  type: string;
  userId?: string;
  participantId?: string;
  targetParticipantId?: string;
  reason?: string;
}

/** Waits for `fn` to return a truthy value (polling, bounded by `ms`). */
export async function until<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25)); // a bounded condition poll, not a synchronisation sleep
  }
}

export interface StartOptions {
  readonly ringTimeoutMs?: number;
  /** Store file (to restart on the same database). */
  readonly dbFile?: string;
  /**
   * Browser phones: a WebRTC gateway on HOST for `webrtc` phones, SIP over WebSocket on `/sip`,
   * the console from `webDist` (a `vite build` of web/), and the HTTP server listening on a free
   * port of HOST (`baseUrl`), as `earshot serve` composes them.
   */
  readonly web?: {
    readonly webDist?: string;
    /** Digest algorithms offered (default SHA-256 then MD5, as `earshot serve`; baresip phones need ['MD5']). */
    readonly algorithms?: readonly ('SHA-256' | 'MD5')[];
  };
}

const SIP_WS_PATH = '/sip';

export class CallsHarness {
  readonly peers = new PeerSet();
  private readonly peerList: BaresipPeer[] = [];
  private readonly tokens = new Map<string, string>();
  private readonly tones = new Map<number, string>();
  orgId = '';

  private constructor(
    readonly dir: string,
    readonly dbFile: string,
    readonly store: Store,
    readonly services: AppServices,
    readonly app: FastifyInstance,
    readonly front: SipFront,
    readonly media: MediaEngine,
    readonly calls: CallControl,
    readonly rtpRange: [number, number],
    /** The WebRTC gateway (with `web`). */
    readonly webrtc?: WebRtcGateway,
    /** `http://127.0.0.1:<port>` (with `web`). */
    readonly baseUrl = '',
  ) {}

  static async start(o: StartOptions = {}): Promise<CallsHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-calls-'));
    const dbFile = o.dbFile ?? join(dir, 'earshot.db');
    const log = pino({ level: process.env.EARSHOT_TEST_LOG ?? 'silent' });
    const clock = new SystemClock();
    const store = await openStore({ url: dbFile });
    await recoverOpenConversations(store.db, clock, log);
    const [rtpBase] = (await freePorts(1, 64)) as [number];
    const rtpRange: [number, number] = [rtpBase, rtpBase + 63];
    const media = await MediaEngine.start({ host: HOST, portRange: rtpRange, workers: 1, logger: log });
    const sipOptions = {
      host: HOST,
      port: 0,
      db: store.db,
      clock,
      logger: log,
      algorithms: ['MD5'] as const,
    };
    // Without `web` the SIP front starts first; with it, after the HTTP app (SIP over WebSocket
    // shares the HTTP server), so call control reaches it late, as in src/main.ts.
    let front: SipFront | undefined = o.web ? undefined : await startSipFront(sipOptions);
    const webrtc = o.web ? new WebRtcGateway({ host: HOST, clock, logger: log }) : undefined;
    const calls = new CallControl({
      sip: {
        invite: (target, options) => {
          if (!front) throw new Error('SIP is not started');
          return front.ua.invite(target, options);
        },
      },
      media,
      ...(webrtc ? { webrtc } : {}),
      location: { lookup: (aor) => front?.location.lookup(aor) ?? [] },
      db: store.db,
      clock,
      logger: log,
      settings: {
        sipHost: HOST,
        mediaHost: HOST,
        ringTimeoutMs: o.ringTimeoutMs ?? 30_000,
        requeueIntervalMs: 200,
      },
    });
    const services = createAppServices({
      db: store.db,
      clock,
      log,
      monitorCap: 5,
      tokenTtlS: 3600,
      effects: calls,
    });
    calls.attach(services);
    const app = await buildApp({
      services,
      logger: log,
      sipRealm: HOST,
      ...(o.web ? { sipWsPath: SIP_WS_PATH, ...(o.web.webDist ? { webDist: o.web.webDist } : {}) } : {}),
    });
    front ??= await startSipFront({
      ...sipOptions,
      algorithms: o.web?.algorithms ?? ['SHA-256', 'MD5'],
      transports: ['udp', 'tcp', 'ws'],
      httpServer: app.server,
    });
    front.ua.onInvite((_req, uas) => calls.handleInvite(uas));
    const baseUrl = o.web ? await app.listen({ host: HOST, port: 0 }) : '';
    return new CallsHarness(
      dir,
      dbFile,
      store,
      services,
      app,
      front,
      media,
      calls,
      rtpRange,
      webrtc,
      baseUrl,
    );
  }

  get sipPort(): number {
    return this.front.ua.port;
  }

  async provision(doc: ProvisioningDoc): Promise<void> {
    const r = await applyProvisioning(this.store.db, doc, HOST, new Date().toISOString(), 1024);
    this.orgId = r.orgId;
  }

  async userId(username: string): Promise<string> {
    const u = await findUserByUsername(this.store.db, username);
    if (!u) throw new Error(`no user ${username}`);
    return u.id;
  }

  async token(username: string): Promise<string> {
    const known = this.tokens.get(username);
    if (known) return known;
    const r = await this.app.inject({
      method: 'POST',
      url: '/api/v2/auth/login',
      payload: { username, password: 'pw' },
    });
    if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
    const t = r.json<{ accessToken: string }>().accessToken;
    this.tokens.set(username, t);
    return t;
  }

  /** An API call as `username`. */
  async api<T = unknown>(
    username: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    url: string,
    payload?: object,
  ) {
    const r = await this.app.inject({
      method,
      url: `/api/v2${url}`,
      headers: { authorization: `Bearer ${await this.token(username)}` },
      ...(payload ? { payload } : {}),
    });
    return { status: r.statusCode, body: (r.body ? r.json() : undefined) as T };
  }

  async available(username: string, onQueue = false): Promise<void> {
    const id = await this.userId(username);
    const p = await this.api(username, 'PUT', `/users/${id}/presence`, { presence: 'AVAILABLE' });
    if (p.status !== 200) throw new Error(`presence ${username}: ${p.status}`);
    if (onQueue) {
      const r = await this.api(username, 'PUT', `/users/${id}/routingstatus`, { status: 'IDLE' });
      if (r.status !== 200) throw new Error(`routing ${username}: ${r.status}`);
    }
  }

  async conversation(cid: string): Promise<ConversationBody> {
    const r = await this.api<ConversationBody>('admin', 'GET', `/conversations/calls/${cid}`);
    if (r.status !== 200) throw new Error(`GET conversation ${r.status}`);
    return r.body;
  }

  async timeline(cid: string): Promise<TimelineEntry[]> {
    const r = await this.api<{ entities: TimelineEntry[] }>('admin', 'GET', `/conversations/${cid}/timeline`);
    return r.body.entities;
  }

  /** The one live conversation (waits for it). */
  async liveConversationId(ms = 10_000): Promise<string> {
    return until(() => [...this.services.conversations.records()][0]?.id, ms, 'a live conversation');
  }

  async participant(
    cid: string,
    match: (p: Participant) => boolean,
    ms = 10_000,
    what = 'participant',
  ): Promise<Participant> {
    return until(async () => (await this.conversation(cid)).participants.find(match), ms, what);
  }

  private toneFile(freq: number): string {
    let f = this.tones.get(freq);
    if (!f) {
      f = join(this.dir, `tone-${freq}.wav`);
      writeToneWav(f, 300, freq);
      this.tones.set(freq, f);
    }
    return f;
  }

  /**
   * A baresip party playing `freq`. `sipUser`: registers (password 'sp') with auto- or manual
   * answer; without it the party does not register (a customer or the trunk's far end).
   */
  async phone(
    name: string,
    freq: number,
    o: { sipUser?: string; answer?: 'auto' | 'manual'; user?: string } = {},
  ): Promise<BaresipPeer> {
    const answer = `answermode=${o.answer ?? 'auto'}`;
    const account = o.sipUser
      ? `<sip:${o.sipUser}@${HOST}:${this.sipPort}>;regint=60;auth_user=${o.sipUser};auth_pass=sp;${answer};audio_codecs=PCMU`
      : `<sip:${o.user ?? name}@${HOST}>;regint=0;${answer};audio_codecs=PCMU`;
    const peer = this.peers.add(await startBaresip({ name, account, audioFile: this.toneFile(freq) }));
    this.peerList.push(peer);
    // The registrar is the truth (baresip may push REGISTER_OK before ctrl_tcp is connected).
    const aor = `sip:${o.sipUser}@${HOST}`;
    if (o.sipUser) await until(() => this.front.location.lookup(aor).length > 0, 10_000, `${aor} registered`);
    return peer;
  }

  /** Process ids of the baresip parties (for a crash test that must stop them by pid). */
  peersPids(): number[] {
    return this.peerList.map((p) => p.child.pid).filter((x): x is number => x !== undefined);
  }

  /** The RTP port an endpoint receives on (where our media leg for `participantId` sends). */
  async rtpPortOf(participantId: string): Promise<number> {
    return until(
      async () => (await this.media.stats(participantId)).peer?.port,
      5000,
      `media peer of ${participantId}`,
    );
  }

  /** Nothing left allocated: no legs, no media legs, no pending call-control tasks. */
  async leftovers(): Promise<{ legs: unknown[]; mediaLegs: number; live: number }> {
    await this.calls.idle();
    const dump = (await this.media.dump()) as { workers: { legs?: unknown[] }[] };
    return {
      legs: this.calls.dump().legs,
      mediaLegs: dump.workers.reduce((n, w) => n + (w.legs?.length ?? 0), 0),
      live: this.services.conversations.dump().live,
    };
  }

  async close(): Promise<void> {
    await this.peers.closeAll();
    await this.calls.close();
    await this.webrtc?.close();
    await this.media.close();
    await this.front.close();
    await this.app.close();
    await this.services.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The org of the call tests: a queue 5000 with alice and bob, supervisors sam (sip) and rita (remote). */
export function acme(trunkPort: number, o: { aliceSupervises?: boolean } = {}): ProvisioningDoc {
  const sip = (u: string) => ({ kind: 'sip' as const, sipUser: u, sipPassword: 'sp' });
  return {
    org: { name: 'Acme' },
    trunks: [{ name: 'pstn', inbound: { allow: [HOST] }, outbound: { uri: `sip:${HOST}:${trunkPort}` } }],
    queues: [{ name: 'Support', number: '5000', members: ['alice', 'bob'] }],
    users: [
      { username: 'admin', name: 'Ada Admin', password: 'pw', roles: ['admin', 'supervisor'] },
      {
        username: 'alice',
        name: 'Alice Agent',
        password: 'pw',
        roles: o.aliceSupervises ? ['agent', 'supervisor'] : ['agent'],
        phone: sip('alice'),
      },
      { username: 'bob', name: 'Bob Agent', password: 'pw', roles: ['agent'], phone: sip('bob') },
      { username: 'sam', name: 'Sam Supervisor', password: 'pw', roles: ['supervisor'], phone: sip('sam') },
      { username: 'sue', name: 'Sue Supervisor', password: 'pw', roles: ['supervisor'], phone: sip('sue') },
      {
        username: 'rita',
        name: 'Rita Remote',
        password: 'pw',
        roles: ['supervisor'],
        phone: { kind: 'remote', number: '15550100' },
      },
      { username: 'nora', name: 'Nora NoPhone', password: 'pw', roles: ['supervisor'] },
    ],
  };
}
