/**
 * A stand-in for the Earshot server of CONTRACT.md §4–§5, for testing the console before the real
 * API exists: serves a built `web/dist`, answers the REST calls the console makes, runs the
 * notifications WebSocket, and a tiny SIP-over-WebSocket registrar (digest MD5) at `/sip`.
 * Tests drive it (start a call, end it, expire a token, drop sockets) and read what it received.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import type {
  Conversation,
  Me,
  Participant,
  Queue,
  QueueMember,
  TimelineEntry,
} from '../../web/src/lib/types.js';

export interface FakeUser {
  me: Me;
  password: string;
  sipPassword?: string;
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

export class FakeEarshot {
  readonly users = new Map<string, FakeUser>();
  readonly conversations = new Map<string, Conversation>();
  readonly timelines = new Map<string, TimelineEntry[]>();
  readonly queues: Queue[] = [{ id: 'q1', name: 'Support', number: '5000' }];
  readonly queueOf = new Map<string, string>();
  readonly requests: string[] = [];
  readonly sipRequests: string[] = [];
  readonly sipResponses: string[] = [];
  /** When true, agent topics carry monitor/coach participants too (to prove the console filters, R9). */
  leakSupervisorsToAgents = false;
  private readonly tokens = new Map<string, string>();
  private readonly sockets = new Map<WebSocket, Set<string>>();
  private readonly sipSockets = new Set<WebSocket>();
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(private readonly distDir: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/api/v2/notifications') {
        const uid = this.tokens.get(url.searchParams.get('access_token') ?? '');
        if (!uid) return socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        this.wss.handleUpgrade(req, socket, head, (ws) => this.notifications(ws));
      } else if (url.pathname === '/sip') {
        this.wss.handleUpgrade(req, socket, head, (ws) => this.sip(ws));
      } else socket.destroy();
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const ws of [...this.sockets.keys(), ...this.sipSockets]) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  addUser(u: FakeUser): void {
    this.users.set(u.me.username ?? u.me.id, u);
  }

  user(id: string): FakeUser {
    const u = [...this.users.values()].find((x) => x.me.id === id);
    if (!u) throw new Error(`no user ${id}`);
    return u;
  }

  expireTokens(): void {
    this.tokens.clear();
  }

  dropNotificationSockets(): void {
    for (const ws of this.sockets.keys()) ws.terminate();
  }

  dropSipSockets(): void {
    for (const ws of this.sipSockets) ws.terminate();
  }

  get notificationSocketCount(): number {
    return this.sockets.size;
  }

  /** Puts (or replaces) a conversation and notifies its topics. */
  upsert(c: Conversation, queueId = 'q1', notify = true): void {
    c.queueId ??= queueId;
    this.conversations.set(c.id, c);
    this.queueOf.set(c.id, queueId);
    if (notify) this.publishConversation(c);
  }

  addTimeline(cid: string, e: Omit<TimelineEntry, 'at'>): void {
    const list = this.timelines.get(cid) ?? [];
    list.push({ ...e, at: new Date().toISOString() });
    this.timelines.set(cid, list);
  }

  publishConversation(c: Conversation): void {
    const qid = this.queueOf.get(c.id);
    if (qid) this.publish(`v2.routing.queues.${qid}.conversations.calls`, c);
    this.publish(`v2.conversations.calls.${c.id}`, c);
    const agentView = this.leakSupervisorsToAgents
      ? c
      : {
          ...c,
          participants: c.participants.filter((p) => p.purpose !== 'monitor' && p.purpose !== 'coach'),
        };
    for (const p of c.participants)
      if (p.purpose === 'agent' && p.userId)
        this.publish(`v2.users.${p.userId}.conversations.calls`, agentView);
  }

  publish(topic: string, eventBody: unknown): void {
    for (const [ws, topics] of this.sockets)
      if (topics.has(topic)) ws.send(JSON.stringify({ topic, eventBody }));
  }

  private notifications(ws: WebSocket): void {
    const topics = new Set<string>();
    this.sockets.set(ws, topics);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { subscribe?: string[]; unsubscribe?: string[] };
      for (const t of msg.subscribe ?? []) topics.add(t);
      for (const t of msg.unsubscribe ?? []) topics.delete(t);
    });
    ws.on('close', () => this.sockets.delete(ws));
  }

  /** RFC 3261 §22.4 digest (MD5) registrar: 401 with a challenge, then 200 OK for the right password. */
  private sip(ws: WebSocket): void {
    this.sipSockets.add(ws);
    ws.on('close', () => this.sipSockets.delete(ws));
    ws.on('message', (data) => {
      const text = String(data);
      const [start = '', ...lines] = text.split('\r\n');
      if (!start.startsWith('REGISTER ')) return;
      this.sipRequests.push(text);
      const h = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      const copy = ['Via', 'From', 'Call-ID', 'CSeq'].flatMap((n) => h(n));
      const to = `${h('To')[0] ?? 'To: <sip:x@y>'};tag=fk${Date.now()}`;
      const auth = h('Authorization')[0];
      const realm = 'earshot';
      const nonce = 'n0nce';
      const user = /username="([^"]+)"/.exec(auth ?? '')?.[1];
      const sipPass = [...this.users.values()].find((u) => u.me.phone?.sipUser === user)?.sipPassword;
      let ok = false;
      if (auth && user && sipPass) {
        const uri = /uri="([^"]+)"/.exec(auth)?.[1] ?? '';
        const md5 = (s: string) => createHash('md5').update(s).digest('hex');
        const expected = md5(`${md5(`${user}:${realm}:${sipPass}`)}:${nonce}:${md5(`REGISTER:${uri}`)}`);
        const response = /response="([^"]+)"/.exec(auth)?.[1];
        const qop = /qop=([^,\s]+)/.exec(auth)?.[1];
        const nc = /nc=([^,\s]+)/.exec(auth)?.[1];
        const cnonce = /cnonce="([^"]+)"/.exec(auth)?.[1];
        const expectedQop = md5(
          `${md5(`${user}:${realm}:${sipPass}`)}:${nonce}:${nc}:${cnonce}:${qop}:${md5(`REGISTER:${uri}`)}`,
        );
        ok = response === (qop ? expectedQop : expected);
      }
      const head = ok
        ? ['SIP/2.0 200 OK', ...copy, to, ...h('Contact').map((c) => `${c};expires=300`)]
        : [
            'SIP/2.0 401 Unauthorized',
            ...copy,
            to,
            `WWW-Authenticate: Digest realm="${realm}", nonce="${nonce}", algorithm=MD5`,
          ];
      const response = `${[...head, 'Content-Length: 0'].join('\r\n')}\r\n\r\n`;
      this.sipResponses.push(response);
      ws.send(response);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/api/')) return this.static(url.pathname, res);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    let body: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (chunks.length) body = JSON.parse(Buffer.concat(chunks).toString());
    const send = (status: number, json?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    const fail = (status: number, code: string, message: string) =>
      send(status, { error: { code, message } });
    const path = url.pathname.replace('/api/v2', '');
    if (path === '/auth/login' && req.method === 'POST') {
      const u = this.users.get(String(body.username));
      if (!u || u.password !== body.password) return fail(401, 'UNAUTHENTICATED', 'bad credentials');
      const token = randomUUID();
      this.tokens.set(token, u.me.id);
      return send(200, { accessToken: token, expiresIn: 3600 });
    }
    const uid = this.tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!uid) return fail(401, 'UNAUTHENTICATED', 'token expired');
    const me = this.user(uid).me;
    let m: RegExpExecArray | null;
    if (path === '/users/me') return send(200, me);
    if (path === '/users/me/phone/credentials') {
      const u = this.user(uid);
      return u.sipPassword
        ? send(200, { sipUser: me.phone?.sipUser, password: u.sipPassword })
        : fail(404, 'NOT_FOUND', 'no phone');
    }
    m = /^\/users\/([^/]+)\/presence$/.exec(path);
    if (m) {
      this.user(m[1]!).me.presence = body.presence as Me['presence'];
      return send(200, {});
    }
    m = /^\/users\/([^/]+)\/routingstatus$/.exec(path);
    if (m) {
      this.user(m[1]!).me.routingStatus = body.status as Me['routingStatus'];
      return send(200, {});
    }
    if (path === '/routing/queues') return send(200, { entities: this.queues });
    m = /^\/routing\/queues\/([^/]+)\/members$/.exec(path);
    if (m) {
      const members: QueueMember[] = [...this.users.values()]
        .filter((u) => u.me.roles?.includes('agent'))
        .map((u) => ({
          id: u.me.id,
          name: u.me.name,
          presence: u.me.presence,
          routingStatus: u.me.routingStatus,
        }));
      return send(200, { entities: members });
    }
    if (path === '/conversations/calls' && req.method === 'GET')
      return send(200, {
        entities: [...this.conversations.values()].filter((c) => c.state !== 'disconnected'),
      });
    m = /^\/conversations\/calls\/([^/]+)$/.exec(path);
    if (m) {
      const c = this.conversations.get(m[1]!);
      return c ? send(200, c) : fail(404, 'NOT_FOUND', 'no such conversation');
    }
    m = /^\/conversations\/([^/]+)\/timeline$/.exec(path);
    if (m) return send(200, { entities: this.timelines.get(m[1]!) ?? [] });
    m = /^\/conversations\/calls\/([^/]+)\/participants\/([^/]+)(?:\/(\w+))?$/.exec(path);
    if (m) {
      const c = this.conversations.get(m[1]!);
      const p = c?.participants.find((x) => x.id === m![2]);
      if (!c || !p) return fail(404, 'NOT_FOUND', 'no such participant');
      this.requests.push(`BODY ${JSON.stringify(body)}`);
      if (req.method === 'POST' && (m[3] === 'monitor' || m[3] === 'coach')) {
        if (me.presence !== 'AVAILABLE') return fail(409, 'SUPERVISOR_NOT_AVAILABLE', 'not available');
        const sup: Participant = {
          id: randomUUID(),
          purpose: m[3],
          userId: me.id,
          name: me.name,
          state: 'connected',
          ...(m[3] === 'coach' ? { coachedParticipantId: p.id } : { monitoredParticipantId: p.id }),
        };
        c.participants.push(sup);
        this.addTimeline(c.id, {
          type: `${m[3]}.started`,
          userId: me.id,
          participantId: sup.id,
          targetParticipantId: p.id,
        });
        this.publishConversation(c);
        return send(201, { participantId: sup.id, state: 'alerting' });
      }
      if (req.method === 'PATCH') {
        if (body.state === 'disconnected') {
          p.state = 'disconnected';
          if (p.purpose === 'monitor' || p.purpose === 'coach')
            this.addTimeline(c.id, {
              type: `${p.purpose}.ended`,
              participantId: p.id,
              targetParticipantId: p.monitoredParticipantId ?? p.coachedParticipantId,
              reason: 'stopped',
            });
        }
        if (
          (body.mode === 'monitor' || body.mode === 'coach') &&
          (p.purpose === 'monitor' || p.purpose === 'coach')
        ) {
          const target = p.monitoredParticipantId ?? p.coachedParticipantId;
          this.addTimeline(c.id, {
            type: `${p.purpose}.ended`,
            participantId: p.id,
            targetParticipantId: target,
            reason: 'switched',
          });
          p.purpose = body.mode;
          delete p.monitoredParticipantId;
          delete p.coachedParticipantId;
          if (body.mode === 'coach') p.coachedParticipantId = target;
          else p.monitoredParticipantId = target;
          this.addTimeline(c.id, {
            type: `${body.mode}.started`,
            participantId: p.id,
            targetParticipantId: target,
          });
        }
        if (typeof body.held === 'boolean') p.held = body.held;
        if (typeof body.muted === 'boolean') p.muted = body.muted;
        this.publishConversation(c);
        return send(200, p);
      }
      return send(202, {});
    }
    return fail(404, 'NOT_FOUND', `no route ${path}`);
  }

  private static(pathname: string, res: ServerResponse): void {
    const rel = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^(\.\.[/\\])+/, '');
    const file = join(this.distDir, rel);
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404);
      res.end();
    }
  }
}
