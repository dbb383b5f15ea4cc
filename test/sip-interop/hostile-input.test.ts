import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerSet, startSipp, withDeadline } from '../support/sip-peers.js';
import { EarshotPeer } from './earshot-peer.js';

/*
 * Hostile input interleaved with real calls: while SIPp places calls to the Earshot UAS, garbage,
 * truncated, malformed and oversized datagrams and TCP streams hit the same UA. Every call must complete,
 * the UA must answer what RFC 3261 §18.3/§21 says it answers (400, 505, 513 when a Via survives), drop
 * the rest, close broken TCP streams, and still answer OPTIONS over UDP and TCP afterwards.
 */
const HOST = '127.0.0.1';
const MAX = 8192; // the UA's maxMessageSize here, so an oversized datagram fits in UDP
const scenario = readFileSync(join(import.meta.dirname, 'scenarios', 'uac-call.xml'), 'utf8');

/** Deterministic pseudo-random bytes (a 32-bit LCG): failures reproduce. */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function request(
  o: {
    method?: string;
    port: number;
    proto?: 'UDP' | 'TCP';
    callId: string;
    cseq?: string;
    version?: string;
    extra?: string[];
    body?: string;
    contentLength?: string;
  },
  target: number,
): string {
  const body = o.body ?? '';
  return [
    `${o.method ?? 'OPTIONS'} sip:earshot@${HOST}:${target} ${o.version ?? 'SIP/2.0'}`,
    `Via: SIP/2.0/${o.proto ?? 'UDP'} ${HOST}:${o.port};branch=z9hG4bK-${o.callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:hostile@${HOST}:${o.port}>;tag=h-${o.callId}`,
    `To: <sip:earshot@${HOST}:${target}>`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq ?? `1 ${o.method ?? 'OPTIONS'}`}`,
    ...(o.extra ?? []),
    `Content-Length: ${o.contentLength ?? Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A UDP socket that keeps the status line of every answer by Call-ID. */
class Prober {
  readonly answers = new Map<string, string[]>();
  private readonly waiters = new Set<() => void>();
  private constructor(readonly socket: UdpSocket) {
    socket.on('message', (data) => {
      const text = data.toString('latin1');
      const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
      const callId = /^Call-ID:\s*(\S+)/im.exec(text)?.[1] ?? '(no Call-ID)';
      if (status) this.answers.set(callId, [...(this.answers.get(callId) ?? []), status]);
      for (const w of [...this.waiters]) w();
    });
  }

  static async open(): Promise<Prober> {
    const s = createSocket('udp4');
    s.bind(0, HOST);
    await once(s, 'listening');
    return new Prober(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: string | Buffer, port: number): void {
    this.socket.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port, HOST);
  }

  answer(callId: string, ms: number): Promise<string> {
    const has = () => this.answers.get(callId)?.[0];
    const now = has();
    if (now) return Promise.resolve(now);
    let w: (() => void) | undefined;
    const p = new Promise<string>((resolve) => {
      w = () => {
        const v = has();
        if (v) resolve(v);
      };
      this.waiters.add(w);
    });
    return withDeadline(
      p,
      ms,
      () => `no answer for ${callId}; answers: ${JSON.stringify([...this.answers])}`,
    ).finally(() => w && this.waiters.delete(w));
  }

  close(): void {
    this.socket.close();
  }
}

/** Opens a TCP connection, writes `chunks`, and reports what came back and whether the UA closed it. */
async function tcpSession(
  port: number,
): Promise<{ socket: Socket; text: () => string; closed: Promise<void> }> {
  const socket = connect({ port, host: HOST });
  let text = '';
  socket.on('data', (d) => {
    text += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await withDeadline(once(socket, 'connect'), 5000, () => 'tcp connect timeout');
  return { socket, text: () => text, closed };
}

describe('hostile input interleaved with a SIPp call', () => {
  const peers = new PeerSet();
  let earshot: EarshotPeer | undefined;
  const sockets: Array<{ close?: () => void; destroy?: () => void }> = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) (s.destroy ?? s.close)?.call(s);
    await peers.closeAll();
    await earshot?.close();
    earshot = undefined;
  });

  it('garbage, truncated and oversized datagrams and TCP streams: the calls complete, OPTIONS answered after', async () => {
    const es = await EarshotPeer.start({ maxMessageSize: MAX });
    earshot = es;
    const logs = () => `${peers.describe()}\n${es.describe()}`;
    const port = es.port;
    const prober = await Prober.open();
    sockets.push(prober);
    const p = prober.port;

    /** One round of hostile datagrams; returns the Call-IDs that must be answered, with the status. */
    const udpRound = (round: number): Array<[string, string]> => {
      const id = (name: string) => `r${round}-${name}`;
      prober.send(noise(1200, round), port);
      prober.send(Buffer.alloc(512), port);
      prober.send('\r\n\r\n', port);
      const invite = request({ method: 'INVITE', port: p, callId: id('trunc'), body: 'v=0\r\n' }, port);
      // Cut inside CSeq: no empty line ever comes, but the Via and Call-ID survived.
      prober.send(invite.slice(0, invite.indexOf('CSeq:') + 6), port);
      prober.send(
        request({ port: p, callId: id('short-body'), contentLength: '500', body: 'hello' }, port),
        port,
      );
      prober.send(request({ port: p, callId: id('cseq'), cseq: 'abc OPTIONS' }, port), port);
      prober.send(request({ port: p, callId: id('version'), version: 'SIP/3.0' }, port), port);
      prober.send(
        request({ port: p, callId: id('big'), extra: [`X-Pad: ${'a'.repeat(MAX * 3)}`] }, port),
        port,
      );
      prober.send(`${'INVITE'.repeat(400)} sip:x SIP/2.0\r\n\u0000\u0001\u00ff\r\n\r\n`, port);
      prober.send(
        `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP ${HOST}:${port};branch=z9hG4bKnotours\r\nCall-ID: ${id('stray')}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
        port,
      );
      return [
        // RFC 3261 §18.3: "If the transport packet ends before the end of the message body, this is
        // considered an error. … If the message is a request, the element SHOULD generate a 400".
        [id('short-body'), '400'],
        // RFC 4475 §3.1.2.13 (baddn) and §3.1.2.4 (insuf): headers that never end, or lack required
        // fields, still get a 400 when a Via survives.
        [id('trunc'), '400'],
        [id('cseq'), '400'],
        [id('version'), '505'],
        [id('big'), '513'],
      ];
    };

    /**
     * TCP streams the UA must close: noise past the size limit, an absurd Content-Length, a request cut
     * short by a client that leaves. A negative Content-Length cannot frame anything: the UA answers 400
     * (the framer reads it as no body, the parser refuses it) and we close that one ourselves.
     */
    const tcpRound = async (round: number) => {
      const streams = await Promise.all([
        tcpSession(port),
        tcpSession(port),
        tcpSession(port),
        tcpSession(port),
      ]);
      for (const s of streams) sockets.push(s.socket);
      const [flood, huge, negative, truncated] = streams as [
        Awaited<ReturnType<typeof tcpSession>>,
        Awaited<ReturnType<typeof tcpSession>>,
        Awaited<ReturnType<typeof tcpSession>>,
        Awaited<ReturnType<typeof tcpSession>>,
      ];
      flood.socket.write(noise(MAX * 3, 1000 + round));
      huge.socket.write(
        request({ port: p, proto: 'TCP', callId: `t${round}-huge`, contentLength: '99999999' }, port),
      );
      negative.socket.write(
        request({ port: p, proto: 'TCP', callId: `t${round}-neg`, contentLength: '-5' }, port),
      );
      // A message cut short, then the client leaves: the UA must just forget the connection.
      truncated.socket.end(request({ port: p, proto: 'TCP', callId: `t${round}-cut` }, port).slice(0, 90));
      await withDeadline(
        new Promise<void>((resolve) => {
          const check = () => {
            if (/^SIP\/2\.0 400 [\s\S]*\r\n\r\n/.test(negative.text())) resolve();
          };
          check();
          negative.socket.on('data', check);
        }),
        5000,
        () => `no 400 to a negative Content-Length; got ${JSON.stringify(negative.text())}\n${logs()}`,
      );
      expect(negative.text()).toMatch(new RegExp(`Call-ID: t${round}-neg`));
      negative.socket.destroy();
      const names = ['flood', 'huge', 'truncated'] as const;
      const open = new Set<string>(names);
      const mustClose = [flood, huge, truncated];
      mustClose.forEach((s, i) => void s.closed.then(() => open.delete(names[i] as string)));
      await withDeadline(
        Promise.all(mustClose.map((s) => s.closed)),
        5000,
        () => `round ${round}: the UA kept broken TCP streams open: ${[...open].join(', ')}\n${logs()}`,
      );
    };

    const sipp = peers.add(
      await startSipp({
        scenario,
        remote: `${HOST}:${port}`,
        service: 'bob',
        calls: 4,
        rate: 4,
      }),
    );

    // Round 1 while call 1 is being set up, round 2 once call 2 is up: the hostile traffic interleaves.
    await es.waitCall((c) => c.n === 1, 10_000, 'first call');
    const expected = udpRound(1);
    await tcpRound(1);
    await es.waitCall((c) => c.n === 2 && c.state === 'confirmed', 10_000, 'second call confirmed');
    expected.push(...udpRound(2));
    await tcpRound(2);

    expect((await sipp.finished(30_000)).code, logs()).toBe(0);
    expect(sipp.stat('SuccessfulCall(C)'), logs()).toBe(4);
    expect(sipp.stat('FailedCall(C)'), logs()).toBe(0);
    await es.until(
      () => es.calls.length === 4 && es.calls.every((c) => c.state === 'ended' && c.endedBy === 'remote'),
      5000,
      'all four calls ended by SIPp',
    );

    // RFC 3261 §21.4.1 400, §21.5.6 505, §21.4.11 513: answered because a Via survived.
    for (const [callId, status] of expected) expect(await prober.answer(callId, 3000), logs()).toBe(status);
    // Nothing else got an answer (noise, NULs, the stray response are discarded).
    const answered = [...prober.answers.keys()].sort();
    expect(answered).toEqual(expected.map(([c]) => c).sort());

    // Still alive: OPTIONS over UDP and over a fresh TCP connection (fed one byte at a time) get 200.
    prober.send(request({ port: p, callId: 'after-udp' }, port), port);
    expect(await prober.answer('after-udp', 3000), logs()).toBe('200');
    const tcp = await tcpSession(port);
    sockets.push(tcp.socket);
    const options = request({ port: tcp.socket.localPort ?? 0, proto: 'TCP', callId: 'after-tcp' }, port);
    for (const ch of options) tcp.socket.write(ch, 'latin1');
    await withDeadline(
      new Promise<void>((resolve) => {
        const check = () => {
          if (/^SIP\/2\.0 200 OK[\s\S]*Call-ID: after-tcp[\s\S]*\r\n\r\n/m.test(tcp.text())) resolve();
        };
        check();
        tcp.socket.on('data', check);
      }),
      3000,
      () => `no 200 to OPTIONS over TCP; got ${JSON.stringify(tcp.text())}\n${logs()}`,
    );
    expect(tcp.text()).toMatch(/^Allow:.*INVITE/im);
  });
});
