/**
 * Real SIP peers for integration tests: SIPp (`sipp`, Debian sip-tester) and baresip, started per test and
 * stopped by process id. Everything binds 127.0.0.1 on free ports, lives in a temp dir, and every wait has
 * a deadline whose failure message carries the peer's log.
 *
 * Usage:
 *   const peers = new PeerSet();            afterEach(() => peers.closeAll());
 *   const [port] = await freePorts(1);
 *   const sipp = peers.add(await startSipp({ scenario: xml, remote: `127.0.0.1:${port}`, calls: 1 }));
 *   expect((await sipp.finished(20_000)).code, sipp.describe()).toBe(0);
 *   const bob = peers.add(await startBaresip({ name: 'bob', account: '<sip:bob@127.0.0.1:5060>;regint=60;…' }));
 *   await bob.waitEvent((e) => e.type === 'REGISTER_OK', 10_000);
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOST = '127.0.0.1';

// ── ports ────────────────────────────────────────────────────────────────────────────────────────

function canBindTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind({ port, address: HOST, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * Candidate ports come from below the kernel's ephemeral range (32768-60999 here): a port the kernel
 * hands out for someone's `bind(0)` or outgoing connection can never collide with them later. The
 * start is random per call, so parallel test processes rarely probe the same blocks.
 */
const CANDIDATES: readonly [number, number] = [10_000, 32_000];

function randomCandidate(span: number): number {
  const [lo, hi] = CANDIDATES;
  const slots = Math.floor((hi - lo) / span);
  return lo + Math.floor(Math.random() * slots) * span;
}

const handedOut = new Set<number>();

/**
 * `count` port blocks that are free for UDP and TCP on 127.0.0.1. Each block is `span` consecutive ports
 * (default 2: SIP port and the +1 baresip's TLS binds), never handed out twice by this process.
 */
export async function freePorts(count: number, span = 2): Promise<number[]> {
  const out: number[] = [];
  for (let attempts = 0; out.length < count && attempts < 200; attempts++) {
    const base = randomCandidate(span);
    let ok = true;
    for (let p = base; p < base + span && ok; p++) {
      ok = !handedOut.has(p) && (await canBindUdp(p)) && (await canBindTcp(p));
    }
    if (!ok) continue;
    for (let p = base; p < base + span; p++) handedOut.add(p);
    out.push(base);
  }
  if (out.length < count) throw new Error(`freePorts: found only ${out.length} of ${count} port blocks`);
  return out;
}

// ── processes ────────────────────────────────────────────────────────────────────────────────────

const LOG_LIMIT = 64 * 1024;

/** A child process whose output is kept (the tail) for failure messages; closed by pid. */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly dir: string;
  private out = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    dir: string,
  ) {
    this.dir = dir;
    this.child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    const keep = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > LOG_LIMIT) this.out = this.out.slice(-LOG_LIMIT);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once('error', (err) => {
        this.out += `\n[spawn error] ${String(err)}`;
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The process's exit, or a rejection (with its log) after `ms`. */
  async finished(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return withDeadline(
      this.exited,
      ms,
      () => `${this.name} did not exit within ${ms} ms\n${this.describe()}`,
    );
  }

  /** Stops the process by pid: SIGTERM, then SIGKILL after `graceMs`; waits for the exit. Idempotent. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exit || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** Output tail plus any extra files worth reading (overridden by peers). */
  describe(): string {
    const status = this.exit ? `exited code=${this.exit.code} signal=${this.exit.signal}` : 'running';
    return `── ${this.name} (pid ${this.child.pid}, ${status}) ──\n${this.out}${this.extraLogs()}`;
  }

  protected extraLogs(): string {
    return '';
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Rejects with `message()` if `p` does not settle within `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Tracks peers so a test's `afterEach` stops them all (by pid) and removes their temp dirs. */
export class PeerSet {
  private readonly peers: Array<{ close(): Promise<void>; describe(): string }> = [];

  add<P extends { close(): Promise<void>; describe(): string }>(peer: P): P {
    this.peers.push(peer);
    return peer;
  }

  /** Every peer's log, for assertion messages. */
  describe(): string {
    return this.peers.map((p) => p.describe()).join('\n');
  }

  async closeAll(): Promise<void> {
    const all = this.peers.splice(0);
    await Promise.all(all.map((p) => p.close()));
  }
}

// ── SIPp ─────────────────────────────────────────────────────────────────────────────────────────

export interface SippOptions {
  /** Scenario XML text (written to the temp dir) or a built-in scenario name (`uac`, `uas`, …). */
  readonly scenario: string;
  /** Where to send: `127.0.0.1:port` (omit for a UAS). */
  readonly remote?: string;
  /** `-t`: u1 (UDP, one socket), un, t1 (TCP, one connection), tn. Default u1. */
  readonly transport?: 'u1' | 'un' | 't1' | 'tn';
  /** `-m`: stop after this many calls (default 1). */
  readonly calls?: number;
  /** `-r`: calls per second (default 10). */
  readonly rate?: number;
  /** `-lost`: percentage of packets SIPp drops on purpose. */
  readonly lost?: number;
  /** `-s`: the user part of the Request-URI (`[service]`). */
  readonly service?: string;
  /** `-au`/`-ap`: credentials for `[authentication]`. */
  readonly auth?: { readonly user: string; readonly password: string };
  /** `-key name value` pairs (used as `[name]` in the scenario). */
  readonly keys?: Readonly<Record<string, string>>;
  /** SIPp's own local SIP port (default: a free one). */
  readonly localPort?: number;
  /** Global timeout, after which SIPp gives up (default 30 s). */
  readonly timeoutSeconds?: number;
  readonly extraArgs?: readonly string[];
}

/** A SIPp run: exit code 0 means every call succeeded. */
export class SippPeer extends PeerProcess {
  constructor(
    name: string,
    args: readonly string[],
    dir: string,
    /** SIPp's own SIP port (where a UAS scenario listens). */
    readonly localPort: number,
    /** Whether SIPp runs over TCP (`-t t1`/`tn`). */
    readonly tcp = false,
  ) {
    super(name, 'sipp', args, dir);
  }

  /**
   * Resolves once SIPp holds its SIP port (UDP, and TCP for `t1`/`tn`): a UAS scenario is then ready for
   * calls. A bounded condition poll (SIPp prints nothing when it is ready), not a synchronisation sleep.
   */
  async listening(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited before listening\n${this.describe()}`);
      const held = this.tcp ? !(await canBindTcp(this.localPort)) : !(await canBindUdp(this.localPort));
      if (held) return;
      if (Date.now() > deadline)
        throw new Error(
          `${this.name} not listening on ${this.localPort} within ${ms} ms\n${this.describe()}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * The last row of SIPp's statistics file (`-trace_stat`, written at exit): column name → value, e.g.
   * `SuccessfulCall(C)`, `FailedCall(C)`, `Retransmissions(C)`. Empty when SIPp wrote none.
   */
  stats(): Record<string, string> {
    let text: string;
    try {
      text = readFileSync(join(this.dir, 'stats.csv'), 'utf8');
    } catch {
      return {};
    }
    const rows = text.split('\n').filter((l) => l.trim() !== '');
    const head = rows[0]?.split(';') ?? [];
    const last = rows.length > 1 ? (rows[rows.length - 1] ?? '').split(';') : [];
    const out: Record<string, string> = {};
    head.forEach((name, i) => {
      if (name) out[name] = last[i] ?? '';
    });
    return out;
  }

  /** A numeric column of `stats()` (NaN when absent). */
  stat(name: string): number {
    const v = this.stats()[name];
    return v === undefined || v === '' ? Number.NaN : Number(v);
  }

  protected override extraLogs(): string {
    let s = '';
    const st = this.stats();
    if (Object.keys(st).length) {
      const keep = Object.entries(st).filter(([k, v]) => /Call|Retrans|Failed/.test(k) && v !== '0');
      s += `\n── ${this.name} stats ── ${keep.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    for (const f of ['errors.log', 'messages.log']) {
      try {
        const text = readFileSync(join(this.dir, f), 'utf8');
        s += `\n── ${this.name} ${f} (tail) ──\n${text.slice(-16_000)}`;
      } catch {
        // not written
      }
    }
    return s;
  }
}

export async function startSipp(options: SippOptions): Promise<SippPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-sipp-'));
  const [localPort, mediaPort] =
    options.localPort !== undefined ? [options.localPort, (await freePorts(1, 4))[0]] : await freePorts(2, 4);
  const args: string[] = [];
  if (/^\s*</.test(options.scenario)) {
    writeFileSync(join(dir, 'scenario.xml'), options.scenario);
    args.push('-sf', join(dir, 'scenario.xml'));
  } else {
    args.push('-sn', options.scenario);
  }
  if (options.remote) args.push(options.remote);
  args.push(
    '-i',
    HOST,
    '-mi',
    HOST,
    '-p',
    String(localPort),
    '-mp',
    String(mediaPort),
    '-t',
    options.transport ?? 'u1',
    '-m',
    String(options.calls ?? 1),
    '-r',
    String(options.rate ?? 10),
    '-timeout',
    `${options.timeoutSeconds ?? 30}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
    '-trace_msg',
    '-message_file',
    join(dir, 'messages.log'),
    '-trace_stat',
    '-stf',
    join(dir, 'stats.csv'),
  );
  if (options.lost !== undefined) args.push('-lost', String(options.lost));
  if (options.service) args.push('-s', options.service);
  if (options.auth) args.push('-au', options.auth.user, '-ap', options.auth.password);
  for (const [k, v] of Object.entries(options.keys ?? {})) args.push('-key', k, v);
  args.push(...(options.extraArgs ?? []));
  return new SippPeer(
    `sipp(${options.scenario.length > 40 ? 'xml' : options.scenario})`,
    args,
    dir,
    localPort as number,
    (options.transport ?? 'u1').startsWith('t'),
  );
}

// ── baresip ──────────────────────────────────────────────────────────────────────────────────────

/** An event baresip pushes over ctrl_tcp (`{"event":true,"type":"CALL_ESTABLISHED",…}`). */
export interface BaresipEvent {
  readonly type: string;
  readonly class?: string;
  readonly accountaor?: string;
  readonly direction?: string;
  readonly peeruri?: string;
  readonly id?: string;
  readonly param?: string;
  readonly [key: string]: unknown;
}

export interface BaresipOptions {
  readonly name: string;
  /** The line of the `accounts` file, e.g. `<sip:alice@127.0.0.1:5060;transport=tcp>;auth_pass=…;regint=60`. */
  readonly account: string;
  /** 16-bit PCM mono WAV played as the microphone (default: a 300 s 440 Hz tone made in the temp dir). */
  readonly audioFile?: string;
}

/** A baresip process driven over ctrl_tcp. */
export class BaresipPeer extends PeerProcess {
  readonly sipPort: number;
  readonly events: BaresipEvent[] = [];
  private ctrl: Socket | undefined;
  private buffer = '';
  private tokens = 0;
  private readonly waiters = new Set<() => void>();
  private readonly responses = new Map<string, (r: { ok: boolean; data: string }) => void>();

  constructor(name: string, dir: string, sipPort: number) {
    super(`baresip(${name})`, 'baresip', ['-f', dir], dir);
    this.sipPort = sipPort;
  }

  /** Connects ctrl_tcp (retrying until baresip listens, within `ms`). */
  async connect(ctrlPort: number, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!this.running) throw new Error(`baresip exited before ctrl_tcp was up\n${this.describe()}`);
      try {
        const sock = tcpConnect({ port: ctrlPort, host: HOST });
        await withDeadline(once(sock, 'connect'), 1000, () => 'ctrl connect timeout');
        this.ctrl = sock;
        sock.on('data', (d) => this.onData(d.toString('utf8')));
        sock.on('error', () => undefined);
        return;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`baresip ctrl_tcp not reachable on ${ctrlPort}\n${this.describe()}`);
        // baresip is still starting: wait for its next line of output (an event), not a fixed sleep.
        await withDeadline(once(this.child.stdout ?? this.child, 'data'), 500, () => 'no output').catch(
          () => undefined,
        );
      }
    }
  }

  /** Sends a command (`dial`, `accept`, `hangup`, …); resolves with baresip's response. */
  command(command: string, params = '', ms = 5000): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.tokens}`;
    const json = JSON.stringify({ command, params, token });
    const sock = this.ctrl;
    if (!sock) throw new Error('baresip: ctrl_tcp not connected');
    const p = new Promise<{ ok: boolean; data: string }>((resolve) => this.responses.set(token, resolve));
    sock.write(`${Buffer.byteLength(json)}:${json},`);
    return withDeadline(
      p,
      ms,
      () => `baresip ${this.name}: no response to ${command} ${params}\n${this.describe()}`,
    );
  }

  /** Resolves with the first event (already received or to come) matching `match`. */
  waitEvent(match: (e: BaresipEvent) => boolean, ms: number, what = 'event'): Promise<BaresipEvent> {
    const found = this.events.find(match);
    if (found) return Promise.resolve(found);
    let waiter: (() => void) | undefined;
    const p = new Promise<BaresipEvent>((resolve) => {
      waiter = () => {
        const e = this.events.find(match);
        if (e) resolve(e);
      };
      this.waiters.add(waiter);
    });
    return withDeadline(
      p,
      ms,
      () => `${this.name}: no ${what} within ${ms} ms; events: ${this.eventTypes()}\n${this.describe()}`,
    ).finally(() => waiter && this.waiters.delete(waiter));
  }

  eventTypes(): string {
    return this.events.map((e) => e.type).join(', ');
  }

  override async close(): Promise<void> {
    this.ctrl?.destroy();
    await super.close();
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buffer.slice(0, colon));
      if (!Number.isFinite(len) || this.buffer.length < colon + 1 + len + 1) return;
      const body = this.buffer.slice(colon + 1, colon + 1 + len);
      this.buffer = this.buffer.slice(colon + 1 + len + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(body) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.event) {
        this.events.push(msg as unknown as BaresipEvent);
        for (const w of [...this.waiters]) w();
      } else if (msg.response && typeof msg.token === 'string') {
        this.responses.get(msg.token)?.({ ok: msg.ok === true, data: String(msg.data ?? '') });
        this.responses.delete(msg.token);
      }
    }
  }
}

/** Writes a 16-bit PCM mono 8 kHz WAV tone (baresip hangs up when its audio file ends: keep it long). */
export function writeToneWav(path: string, seconds = 300, frequency = 440): void {
  const rate = 8000;
  const n = rate * seconds;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * frequency * i) / rate)), 44 + i * 2);
  writeFileSync(path, buf);
}

export async function startBaresip(options: BaresipOptions): Promise<BaresipPeer> {
  const dir = mkdtempSync(join(tmpdir(), `earshot-baresip-${options.name}-`));
  const [sipPort, rtpBase, ctrlPort] = (await freePorts(3, 4)) as [number, number, number];
  const audio = options.audioFile ?? join(dir, 'tone.wav');
  if (!options.audioFile) writeToneWav(audio);
  const config = [
    'poll_method epoll',
    `sip_listen ${HOST}:${sipPort}`,
    `net_interface ${HOST}`,
    `rtp_ports ${rtpBase}-${rtpBase + 3}`,
    `audio_source aufile,${audio}`,
    'audio_player alsa,null',
    'audio_alert alsa,null',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module alsa.so',
    'module ctrl_tcp.so',
    'module_tmp account.so',
    'module_app menu.so',
    `ctrl_tcp_listen ${HOST}:${ctrlPort}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'config'), config);
  writeFileSync(join(dir, 'accounts'), `${options.account}\n`);
  writeFileSync(join(dir, 'contacts'), '');
  const peer = new BaresipPeer(options.name, dir, sipPort);
  try {
    await peer.connect(ctrlPort);
  } catch (err) {
    await peer.close();
    throw err;
  }
  return peer;
}
