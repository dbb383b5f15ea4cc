/**
 * The native batched-UDP addon (`native/udp-batch`) and `NativeIo`, against real loopback sockets.
 * Requires the addon to be built (`node scripts/build-native.mjs`); the first test says so if not.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DatagramSink, ipv4ToNumber, numberToIpv4 } from './leg-socket.js';
import { chooseIo, type WorkerLog } from './media-worker-runtime.js';
import { NativeIo } from './native-io.js';
import { RtpLeg } from './rtp-leg.js';
import { decodeRtp, type RtpPacket, RtpView } from './rtp-packet.js';
import { loadUdpBatch, TX_WORDS, type UdpBatchAddon } from './udp-batch-addon.js';

const LOOPBACK = ipv4ToNumber('127.0.0.1');

function addon(): UdpBatchAddon {
  const a = loadUdpBatch();
  if (a instanceof Error) throw a;
  return a;
}

interface Got {
  bytes: Buffer;
  address: number;
  port: number;
  truncated: boolean;
}

function collector(): DatagramSink & { got: Got[] } {
  const got: Got[] = [];
  return {
    got,
    onDatagram(buf, off, len, address, port, truncated) {
      got.push({ bytes: Buffer.from(buf.subarray(off, off + len)), address, port, truncated });
    },
  };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function client(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => s.close());
  return s;
}

/** Sends every datagram and resolves once the kernel has taken them all (loopback: then queued at the receiver). */
function sendAll(s: Socket, port: number, datagrams: Buffer[]): Promise<void> {
  return Promise.all(
    datagrams.map(
      (d) =>
        new Promise<void>((resolve, reject) =>
          s.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
        ),
    ),
  ).then(() => undefined);
}

/**
 * Which batching engine the NativeIo of the current suite uses (all are tested): io_uring with the
 * receive ring (the default), io_uring with epoll-driven receives, and recvmmsg/sendmmsg.
 */
type Engine = 'io_uring' | 'io_uring-epoll' | 'syscalls';
let engine: Engine = 'io_uring';

function io(opts?: ConstructorParameters<typeof NativeIo>[1], a: UdpBatchAddon = addon()): NativeIo {
  const n = new NativeIo(a, { uring: engine !== 'syscalls', rxRing: engine === 'io_uring', ...opts });
  cleanups.push(() => n.close());
  return n;
}

/** Two sockets of `n` sharing one sink, `count` datagrams queued on each ([0xa, i] and [0xb, i]). */
async function twoSocketsQueued(n: NativeIo, count: number): Promise<ReturnType<typeof collector>> {
  const a = n.bind('127.0.0.1', 0)!;
  const b = n.bind('127.0.0.1', 0)!;
  const sink = collector();
  a.setSink(sink);
  b.setSink(sink);
  const c = await client();
  await sendAll(
    c,
    a.port,
    Array.from({ length: count }, (_, i) => Buffer.from([0xa, i])),
  );
  await sendAll(
    c,
    b.port,
    Array.from({ length: count }, (_, i) => Buffer.from([0xb, i])),
  );
  return sink;
}

/** Per socket of `twoSocketsQueued`, every datagram arrived, in order. */
function expectInOrderPerSocket(sink: ReturnType<typeof collector>, count: number): void {
  for (const tag of [0xa, 0xb]) {
    const seq = sink.got.filter((g) => g.bytes[0] === tag).map((g) => g.bytes[1]);
    expect(seq).toEqual(Array.from({ length: count }, (_, i) => i));
  }
}

/** Waits (event-driven, with a deadline) until `socket` has received `count` datagrams. */
function receive(socket: Socket, count: number, ms = 3000): Promise<Array<{ msg: Buffer; port: number }>> {
  const got: Array<{ msg: Buffer; port: number }> = [];
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`received ${got.length}/${count}`)), ms);
    socket.on('message', (msg, rinfo) => {
      got.push({ msg, port: rinfo.port });
      if (got.length === count) {
        clearTimeout(t);
        resolve(got);
      }
    });
  });
}

describe.each(['io_uring', 'io_uring-epoll', 'syscalls'] as const)(
  'udp-batch addon via NativeIo (%s)',
  (which) => {
    beforeAll(() => {
      engine = which;
    });

    it('loads on Linux and runs the batching engine asked for', () => {
      const a = loadUdpBatch();
      expect(a instanceof Error ? a.message : 'loaded').toBe('loaded');
      expect(addon().BATCH).toBeGreaterThan(1);
      // This kernel (≥ 6.0, io_uring enabled) must give a ring and a receive ring when asked for.
      const n = io();
      const engineName = which === 'syscalls' ? 'syscalls' : 'io_uring';
      expect(n.engine).toBe(engineName);
      expect(n.dump()).toMatchObject({ engine: engineName, rx: which === 'io_uring' ? 'ring' : 'epoll' });
      expect(n.dump().rxRingUnavailable).toBeUndefined();
      // Linux ≥ 6.10 takes the destination with IORING_OP_SEND (this VM runs 6.18).
      if (which !== 'syscalls') expect(n.dump().uringSend).toBe('SEND+address');
    });

    it('drains more datagrams than one recvmmsg batch, in order, with their source', async () => {
      const n = io();
      const sock = n.bind('127.0.0.1', 0)!;
      const sink = collector();
      sock.setSink(sink);
      const c = await client();
      const count = addon().BATCH * 3 + 7;
      await sendAll(
        c,
        sock.port,
        Array.from({ length: count }, (_, i) => Buffer.from([i & 255, i >> 8, 1, 2, 3])),
      );
      expect(n.drain()).toBe(count);
      expect(sink.got.length).toBe(count);
      sink.got.forEach((g, i) => {
        expect(g.bytes[0]! | (g.bytes[1]! << 8)).toBe(i);
        expect(g.bytes.length).toBe(5);
        expect(g.truncated).toBe(false);
      });
      expect(numberToIpv4(sink.got[0]!.address)).toBe('127.0.0.1');
      expect(sink.got[0]!.port).toBe(c.address().port);
      // Drained: the socket now answers EAGAIN, which is "nothing", not an error.
      expect(n.drain()).toBe(0);
      expect(n.counters.drainErrors).toBe(0);
    });

    it('a full receive buffer leaves the rest queued for the next drain (bounded work per tick)', async () => {
      const n = io({ rxSlots: 10, maxRounds: 2 });
      const sink = await twoSocketsQueued(n, 25);
      if (which === 'io_uring') {
        // The receive ring's 32 slots (2 × rxSlots, rounded up to a power of two) run out first: the
        // rest waits in the sockets until their receives are armed again; every drain stays in its
        // bound.
        for (let d = 0; d < 20 && sink.got.length < 50; d++) expect(n.drain()).toBeLessThanOrEqual(20);
      } else {
        expect(n.drain()).toBe(20);
        expect(n.counters.overloadedDrains).toBe(1);
        expect(n.drain()).toBe(20);
        expect(n.drain()).toBe(10);
      }
      expect(n.drain()).toBe(0);
      expect(sink.got.length).toBe(50);
      // Per socket, order is kept; both sockets were served.
      expectInOrderPerSocket(sink, 25);
    });

    it('a datagram longer than a slot arrives truncated and flagged; the next one is intact', async () => {
      const n = io({ slotSize: 64, rxSlots: 8 });
      const sock = n.bind('127.0.0.1', 0)!;
      const sink = collector();
      sock.setSink(sink);
      const c = await client();
      const big = Buffer.alloc(100, 7);
      await sendAll(c, sock.port, [big, Buffer.from([9, 9, 9])]);
      expect(n.drain()).toBe(2);
      expect(sink.got[0]!.truncated).toBe(true);
      expect(sink.got[0]!.bytes.length).toBe(64);
      expect(sink.got[1]).toMatchObject({ truncated: false, bytes: Buffer.from([9, 9, 9]) });
      expect(n.counters.truncated).toBe(1);
    });

    it('sends a tick of datagrams from each socket’s own port in one flush', async () => {
      const n = io();
      const s1 = n.bind('127.0.0.1', 0)!;
      const s2 = n.bind('127.0.0.1', 0)!;
      const peer = await client();
      const got = receive(peer, 6);
      const pkt = Buffer.alloc(332); // like a leg's out buffer: only `length` bytes go
      for (let i = 0; i < 3; i++) {
        pkt.fill(i + 1);
        s1.send(pkt, 172, LOOPBACK, peer.address().port);
        pkt.fill(i + 11);
        s2.send(pkt, 20, LOOPBACK, peer.address().port);
      }
      expect(n.flush()).toBe(6);
      const r = await got;
      expect(r.filter((x) => x.port === s1.port).map((x) => [x.msg.length, x.msg[0]])).toEqual([
        [172, 1],
        [172, 2],
        [172, 3],
      ]);
      expect(r.filter((x) => x.port === s2.port).map((x) => x.msg[0])).toEqual([11, 12, 13]);
      expect(n.counters.datagramsOut).toBe(6);
      expect(n.flush()).toBe(0);
    });

    it('reserve: zero-copy datagrams leave byte for byte from their socket, 4-byte aligned, between copied sends', async () => {
      const n = io();
      const s1 = n.bind('127.0.0.1', 0)!;
      const s2 = n.bind('127.0.0.1', 0)!;
      const sb = s1.sendBuffer!;
      expect(sb).toBeDefined();
      expect(s2.sendBuffer).toBe(sb); // one buffer per NativeIo
      expect(sb.bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(sb.bytes)).toBe(false);
      const peer = await client();
      const to = peer.address().port;
      const got = receive(peer, 6);
      const pattern = (tag: number, len: number) =>
        Buffer.from(Array.from({ length: len }, (_, i) => (tag * 31 + i) & 0xff));
      const want: Array<[number, Buffer]> = [];
      const put = (s: typeof s1, tag: number, len: number) => {
        const at = s.reserve(len, LOOPBACK, to);
        expect(at).toBeGreaterThanOrEqual(0);
        expect((sb.base + at) % 4).toBe(0);
        const bytes = pattern(tag, len);
        sb.bytes.set(bytes, at);
        want.push([s.port, bytes]);
        return at;
      };
      put(s1, 1, 172);
      put(s2, 2, 13); // odd length: the next reserve is realigned
      // A copied send in between (an RTP event or RTCP goes this way): its bytes stay intact.
      const copied = pattern(3, 7);
      const scratch = Buffer.alloc(332, 0xee);
      copied.copy(scratch);
      s1.send(scratch, 7, LOOPBACK, to);
      want.push([s1.port, copied]);
      const at = put(s2, 4, 20);
      // The words view is the same memory as the bytes, `base` bytes in.
      const w = sb.words[(sb.base + at) >>> 2]!;
      const b = sb.bytes;
      expect(w).toBe(new Uint32Array(new Uint8Array([b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!]).buffer)[0]);
      put(s1, 5, 172);
      put(s1, 6, 1);
      expect(n.flush()).toBe(6);
      const r = await got;
      for (const port of [s1.port, s2.port]) {
        expect(r.filter((x) => x.port === port).map((x) => [...x.msg])).toEqual(
          want.filter(([p]) => p === port).map(([, bytes]) => [...bytes]),
        );
      }
      expect(n.counters.datagramsOut).toBe(6);
      expect(n.counters.sendRefused).toBe(0);
    });

    it('a reserve that finds the slots or the buffer full flushes first and hands back room in the emptied buffer', async () => {
      const n = io({ txSlots: 4, txBytes: 1000 });
      const s = n.bind('127.0.0.1', 0)!;
      const sb = s.sendBuffer!;
      const peer = await client();
      const to = peer.address().port;
      const got = receive(peer, 9);
      const sent: number[][] = [];
      const put = (tag: number, len: number): number => {
        const at = s.reserve(len, LOOPBACK, to);
        const bytes = Array.from({ length: len }, (_, i) => (tag + i) & 0xff);
        sb.bytes.set(bytes, at);
        sent.push(bytes);
        return at;
      };
      // Slots: four fit; the fifth flushes them and lands at 0.
      expect([put(1, 100), put(2, 100), put(3, 100), put(4, 100)]).toEqual([0, 100, 200, 300]);
      expect(n.counters.flushes).toBe(0);
      expect(put(5, 100)).toBe(0);
      expect(n.counters.flushes).toBe(1);
      expect(n.counters.datagramsOut).toBe(4);
      // Bytes: 0 + 100 (the fifth), then 300 at 100 and 300 at 400 fill 700 of 1,000; the next 300
      // does not fit: flush, and it lands at 0 again.
      expect([put(6, 300), put(7, 300)]).toEqual([100, 400]);
      expect(put(8, 301)).toBe(0); // 700 + 301 > 1000
      expect(n.counters.flushes).toBe(2);
      expect(put(9, 100)).toBe(304); // realigned after the odd length
      expect(n.flush()).toBe(2);
      expect(n.counters.datagramsOut).toBe(9);
      expect((await got).map((x) => [...x.msg])).toEqual(sent);
    });

    it('reserve on a closed socket or NativeIo returns -1 and queues nothing; longer than the buffer is refused', () => {
      const n = io({ txBytes: 256 });
      const a = n.bind('127.0.0.1', 0)!;
      const b = n.bind('127.0.0.1', 0)!;
      expect(a.reserve(257, LOOPBACK, 9)).toBe(-1);
      expect(n.counters.sendRefused).toBe(1);
      expect(a.reserve(256, LOOPBACK, 9)).toBe(0);
      a.close(); // flushes what was queued
      expect(a.reserve(12, LOOPBACK, 9)).toBe(-1);
      expect(n.dump().queued).toBe(0);
      n.close();
      expect(b.reserve(12, LOOPBACK, 9)).toBe(-1);
      expect(n.dump().queued).toBe(0);
    });

    it('an RtpLeg writes its packets straight into the send buffer: exact RTP on the wire, stats as before', async () => {
      const n = io();
      const rtp = n.bind('127.0.0.1', 0)!;
      const rtcp = n.bind('127.0.0.1', 0)!;
      const peer = await client();
      const host = { view: new RtpView(), now: () => 0, relayEvent() {} };
      const leg = new RtpLeg(
        { id: 'z', group: 'g', codec: 'PCMA', remote: { address: '127.0.0.1', port: peer.address().port } },
        rtp.port,
        rtp,
        rtcp,
        host,
      );
      const backing = new Uint8Array(600);
      for (let i = 0; i < backing.length; i++) backing[i] = (i * 29 + 1) & 0xff;
      const frames: [Uint8Array, number, number][] = [
        [backing, 16, 160], // words
        [backing, 33, 160], // unaligned: bytes
        [backing.subarray(1), 3, 161], // aligned in memory, odd length: words + tail
        [Buffer.from(backing.buffer, 8, 400), 0, 160], // a Buffer over the same memory
      ];
      const got = receive(peer, frames.length);
      for (const [src, off, len] of frames) leg.emit(src, off, len);
      expect(n.flush()).toBe(frames.length);
      const packets = (await got).map((g) => {
        expect(g.port).toBe(rtp.port);
        return decodeRtp(g.msg) as RtpPacket;
      });
      packets.forEach((p, k) => {
        const [src, off, len] = frames[k]!;
        expect([...p.payload]).toEqual([...src.subarray(off, off + len)]);
        expect(p.payloadType).toBe(8);
        expect(p.marker).toBe(k === 0);
        expect(p.ssrc).toBe(packets[0]!.ssrc);
        expect(p.sequence).toBe((packets[0]!.sequence + k) & 0xffff);
        expect(p.timestamp).toBe((packets[0]!.timestamp + 160 * k) >>> 0);
      });
      const sizes = frames.reduce((sum, [, , len]) => sum + 12 + len, 0);
      expect(leg.stats()).toMatchObject({ packetsOut: frames.length, bytesOut: sizes });
      // Closed I/O: the leg still counts what it was asked to send (as a refused send), and never throws.
      rtp.close();
      leg.emit(backing, 0, 160);
      expect(leg.stats()).toMatchObject({ packetsOut: frames.length + 1, bytesOut: sizes + 172 });
      expect(n.flush()).toBe(0);
      leg.close();
    });

    it('a refused send (closed fd: the same drop path as EAGAIN) is dropped and the rest still go', async () => {
      const a = addon();
      const n = io();
      const peer = await client();
      const got = receive(peer, 2);
      const ok = n.bind('127.0.0.1', 0)!;
      const gone = n.bind('127.0.0.1', 0)!;
      const goneFd = gone.fd;
      gone.close(); // no fd is opened between this and the send, so the number stays invalid (EBADF)
      const tx = new Uint8Array(64).fill(5);
      const meta = new Uint32Array(3 * TX_WORDS);
      const port = peer.address().port;
      meta.set([ok.fd, 0, 10, LOOPBACK, port], 0);
      meta.set([goneFd, 0, 10, LOOPBACK, port], TX_WORDS);
      meta.set([ok.fd, 10, 10, LOOPBACK, port], 2 * TX_WORDS);
      if (which !== 'syscalls') {
        const ring = a.uringOpen!(16);
        if (typeof ring === 'number') throw new Error(`io_uring_setup: errno ${-ring}`);
        expect(a.uringSend!(ring, tx, meta, 3)).toBe(2);
      } else expect(a.send(tx, meta, 3)).toBe(2);
      expect((await got).every((x) => x.port === ok.port)).toBe(true);
    });

    it('an ICMP error queued on a socket (peer port closed) is not a datagram and does not hide the next one', async () => {
      const n = io();
      const sock = n.bind('127.0.0.1', 0)!;
      const sink = collector();
      sock.setSink(sink);
      // A port nobody listens on: loopback answers the send with ICMP port unreachable, which the
      // kernel queues on our socket as ECONNREFUSED (it makes the socket readable).
      const gone = await client();
      const closedPort = gone.address().port;
      gone.close();
      cleanups.pop();
      sock.send(Buffer.from([1, 2, 3]), 3, LOOPBACK, closedPort);
      expect(n.flush()).toBe(1);
      const c = await client();
      await sendAll(c, sock.port, [Buffer.from([7, 7])]);
      expect(n.drain()).toBe(1);
      expect(sink.got.map((g) => [...g.bytes])).toEqual([[7, 7]]);
      expect(n.counters.drainErrors).toBe(0);
      expect(n.drain()).toBe(0);
    });

    it('a closed socket is out of the poller, frees its port, and ignores sends', async () => {
      const n = io();
      const sock = n.bind('127.0.0.1', 0)!;
      const port = sock.port;
      const sink = collector();
      sock.setSink(sink);
      sock.close();
      sock.close(); // idempotent
      expect(n.socketCount).toBe(0);
      sock.send(Buffer.alloc(12), 12, LOOPBACK, 9);
      expect(n.flush()).toBe(0);
      // The port is free again: a new socket binds it, and the old sink never sees its traffic.
      const again = n.bind('127.0.0.1', port)!;
      expect(again).toBeDefined();
      const sink2 = collector();
      again.setSink(sink2);
      const c = await client();
      await sendAll(c, port, [Buffer.from([1])]);
      expect(n.drain()).toBe(1);
      expect(sink.got.length).toBe(0);
      expect(sink2.got.length).toBe(1);
      // A taken port is refused (exclusive bind), not shared.
      expect(n.bind('127.0.0.1', port)).toBeUndefined();
    });

    it('close() closes every socket and is idempotent; a closed NativeIo reads and binds nothing', async () => {
      const n = new NativeIo(addon());
      const sock = n.bind('127.0.0.1', 0)!;
      n.close();
      n.close();
      expect(n.socketCount).toBe(0);
      expect(n.drain()).toBe(0);
      expect(n.bind('127.0.0.1', 0)).toBeUndefined();
      // Its port is free.
      const c = createSocket('udp4');
      cleanups.push(() => c.close());
      await new Promise<void>((resolve, reject) => {
        c.once('error', reject);
        c.bind({ port: sock.port, address: '127.0.0.1', exclusive: true }, () => resolve());
      });
    });
  },
);

describe('the receive ring (multishot RECVMSG into provided slots)', () => {
  beforeAll(() => {
    engine = 'io_uring';
  });

  it('slots running out under overload end a socket’s receive; it is armed again and nothing is lost or reordered', async () => {
    // 2 entries per drain call, one call per drain, 4 slots: 40 queued datagrams exhaust the slots.
    const n = io({ rxSlots: 2, maxRounds: 1 });
    const sink = await twoSocketsQueued(n, 20);
    for (let d = 0; d < 200 && sink.got.length < 40; d++) expect(n.drain()).toBeLessThanOrEqual(2);
    expect(sink.got.length).toBe(40);
    expectInOrderPerSocket(sink, 20);
    expect(n.counters.rxRearms).toBeGreaterThan(0);
    expect(n.drain()).toBe(0);
    expect(n.dump().rx).toBe('ring');
  });

  it('an empty datagram (end of stream to the kernel) ends a receive: delivered empty, and what follows arrives in the same drain', async () => {
    const n = io();
    const sock = n.bind('127.0.0.1', 0)!;
    const sink = collector();
    sock.setSink(sink);
    const c = await client();
    const empty = Buffer.alloc(0);
    await sendAll(c, sock.port, [Buffer.from([1]), empty, Buffer.from([2]), empty, Buffer.from([3])]);
    expect(n.drain()).toBe(5);
    expect(sink.got.map((g) => [...g.bytes])).toEqual([[1], [], [2], [], [3]]);
    expect(n.counters.rxRearms).toBe(2);
    // The same with 2 entries per call: an empty datagram's completion (datagram + end: two
    // entries) never straddles two calls, and nothing is delivered twice.
    const small = io({ rxSlots: 2, maxRounds: 4 });
    const s2 = small.bind('127.0.0.1', 0)!;
    const sink2 = collector();
    s2.setSink(sink2);
    await sendAll(c, s2.port, [Buffer.from([1]), empty, Buffer.from([2]), empty, Buffer.from([3])]);
    for (let d = 0; d < 10 && sink2.got.length < 5; d++) small.drain();
    expect(sink2.got.map((g) => [...g.bytes])).toEqual([[1], [], [2], [], [3]]);
    expect(small.drain()).toBe(0);
  });

  it('a flood of empty datagrams buys a bounded amount of work per drain and never delays another socket', async () => {
    const n = io();
    const flooded = n.bind('127.0.0.1', 0)!;
    const other = n.bind('127.0.0.1', 0)!;
    const floodSink = collector();
    const otherSink = collector();
    flooded.setSink(floodSink);
    other.setSink(otherSink);
    const c = await client();
    const empty = Buffer.alloc(0);
    await sendAll(c, flooded.port, [...Array.from({ length: 100 }, () => empty), Buffer.from([9])]);
    await sendAll(c, other.port, [Buffer.from([7])]);
    // Each empty datagram ends the flooded socket's receive: one re-arm (and one more call) each, at
    // most 32 extra calls per drain, so this drain stops early; the other socket is read in full.
    const first = n.drain();
    expect(first).toBeLessThan(101);
    expect(otherSink.got.map((g) => [...g.bytes])).toEqual([[7]]);
    for (let d = 0; d < 10 && floodSink.got.length < 101; d++) n.drain();
    expect(floodSink.got.length).toBe(101);
    expect([...floodSink.got[100]!.bytes]).toEqual([9]);
    expect(n.counters.rxRearms).toBe(100);
  });

  it('datagrams still queued for a closed socket never reach the socket bound after it', async () => {
    const n = io();
    const old = n.bind('127.0.0.1', 0)!;
    const oldSink = collector();
    old.setSink(oldSink);
    const c = await client();
    await sendAll(c, old.port, [Buffer.from([1]), Buffer.from([2])]);
    old.close(); // its datagrams may already sit in ring slots, tagged with its token
    const next = n.bind('127.0.0.1', 0)!;
    const nextSink = collector();
    next.setSink(nextSink);
    await sendAll(c, next.port, [Buffer.from([3])]);
    expect(n.drain()).toBeGreaterThanOrEqual(1);
    expect(oldSink.got).toEqual([]);
    expect(nextSink.got.map((g) => [...g.bytes])).toEqual([[3]]);
    expect(n.socketCount).toBe(1);
  });

  it('a failing receive ring falls back to epoll for every open socket, and reading goes on', async () => {
    const real = addon();
    let fail = true;
    const failing: UdpBatchAddon = {
      ...real,
      // The one injected fault: the ring's drain reports an error (EIO) once.
      rxDrain: (ring, meta, max) => {
        if (!fail) return real.rxDrain!(ring, meta, max);
        fail = false;
        return -5;
      },
    };
    const whys: string[] = [];
    const n = io({ onFallback: (why) => whys.push(why) }, failing);
    const sock = n.bind('127.0.0.1', 0)!;
    const sink = collector();
    sock.setSink(sink);
    expect(n.dump().rx).toBe('ring');
    n.drain();
    expect(n.dump()).toMatchObject({ rx: 'epoll', uringFailures: 1 });
    expect(String(n.dump().rxRingUnavailable)).toContain('errno 5');
    expect(whys).toEqual(['receive ring failed (errno 5): receives found by epoll from now on']);
    const c = await client();
    await sendAll(c, sock.port, [Buffer.from([4, 2])]);
    expect(n.drain()).toBe(1);
    expect(sink.got.map((g) => [...g.bytes])).toEqual([[4, 2]]);
    // New sockets go straight into the epoll set.
    const more = n.bind('127.0.0.1', 0)!;
    const moreSink = collector();
    more.setSink(moreSink);
    await sendAll(c, more.port, [Buffer.from([5])]);
    expect(n.drain()).toBe(1);
    expect(moreSink.got.length).toBe(1);
  });
});

describe('chooseIo', () => {
  const logs: Array<[string, string]> = [];
  const log: WorkerLog = (level, msg) => logs.push([level, msg]);
  const missing = () => new Error('not built');

  it('falls back to dgram with an info log when the addon is missing and nothing was asked', () => {
    logs.length = 0;
    expect(chooseIo(undefined, log, missing)).toBeUndefined();
    expect(logs).toEqual([['info', 'native media I/O unavailable: using dgram']]);
  });

  it('warns when native was asked for but cannot load; dgram never loads the addon', () => {
    logs.length = 0;
    expect(chooseIo('native', log, missing)).toBeUndefined();
    expect(logs[0]![0]).toBe('warn');
    let loaded = false;
    expect(
      chooseIo('dgram', log, () => {
        loaded = true;
        return addon();
      }),
    ).toBeUndefined();
    expect(loaded).toBe(false);
    expect(chooseIo(undefined, log)).toBe(addon());
  });
});
