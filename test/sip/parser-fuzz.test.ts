import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/message/parse-message.js';
import { SipRequest, SipResponse } from '../../src/sip/message/sip-message.js';
import { SipParseError } from '../../src/sip/message/sip-parse-error.js';
import { StreamFramer } from '../../src/sip/message/stream-framer.js';
import { loadTorture, tortureNames } from './torture-fixtures.js';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from its seed and index. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  ':',
  ';',
  ',',
  '<',
  '>',
  '"',
  '\\',
  '\r\n',
  '\r\n ',
  ' ',
  '\t',
  '%',
  '%00',
  '@',
  '[',
  ']',
  '=',
  '?',
  '\0',
  'SIP/2.0',
  '99999999999999999999',
  '-1',
  'z9hG4bK',
  'Content-Length: 1000000\r\n',
  'l: 5\r\n',
  'v: SIP/2.0/UDP [::1]:5060\r\n',
].map((s) => Buffer.from(s));

function mutate(src: Buffer, r: () => number): Buffer {
  let b = Buffer.from(src);
  const ops = 1 + Math.floor(r() * 4);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(r() * (b.length + 1));
    switch (Math.floor(r() * 7)) {
      case 0: // flip a byte
        if (b.length) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256);
        break;
      case 1: {
        // delete a range
        const len = Math.floor(r() * 16);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 2: // insert a syntax token
        b = Buffer.concat([
          b.subarray(0, at),
          TOKENS[Math.floor(r() * TOKENS.length)] as Buffer,
          b.subarray(at),
        ]);
        break;
      case 3: // truncate
        b = b.subarray(0, at);
        break;
      case 4: {
        // duplicate a range (repeated headers, doubled lines)
        const len = Math.floor(r() * 64);
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      }
      case 5: {
        // random bytes
        const len = 1 + Math.floor(r() * 8);
        const rnd = Buffer.alloc(len);
        for (let i = 0; i < len; i++) rnd[i] = Math.floor(r() * 256);
        b = Buffer.concat([b.subarray(0, at), rnd, b.subarray(at)]);
        break;
      }
      default: {
        // swap case of a range (header names are case-insensitive, values often not)
        const end = Math.min(b.length, at + 8);
        for (let i = at; i < end; i++) {
          const c = b[i] as number;
          if (c >= 65 && c <= 90) b[i] = c + 32;
          else if (c >= 97 && c <= 122) b[i] = c - 32;
        }
      }
    }
  }
  return b;
}

const TYPICAL = [
  'INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\nContent-Length: 23\r\n\r\nv=0\r\nm=audio 4000 RTP/AVP 0',
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport=5070;received=127.0.0.1\r\nFrom: "Alice" <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>;tag=2\r\nCall-ID: c1@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@[2001:db8::10]:5060;transport=tcp>\r\nRecord-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\nContent-Length: 0\r\n\r\n',
].map((s) => Buffer.from(s));

describe('parser fuzzing', () => {
  it('100,000 random mutations of real messages give a message or a typed parse error, never a crash or a hang', () => {
    const corpus = [...TYPICAL, ...tortureNames().map(loadTorture)];
    const r = rng(0x5e1f);
    let parsed = 0;
    let refused = 0;
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) {
      const input = mutate(corpus[i % corpus.length] as Buffer, r);
      const t0 = performance.now();
      try {
        const m = parseMessage(input);
        if (!(m instanceof SipRequest || m instanceof SipResponse))
          throw new Error(`case ${i}: not a message`);
        m.toBuffer(); // a parsed message always serializes
        parsed++;
      } catch (err) {
        if (!(err instanceof SipParseError)) throw new Error(`case ${i}: ${String(err)}`);
        refused++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(parsed + refused).toBe(100_000);
    expect(parsed).toBeGreaterThan(1_000); // the mutations keep many messages valid
    expect(refused).toBeGreaterThan(1_000);
    // A hang would take seconds; one slow case of tens of ms is a GC pause on a shared machine.
    expect(slowest).toBeLessThan(250);
    expect(seconds).toBeLessThan(20);
  });

  it('the stream framer survives 10,000 mutated byte streams split at random points', () => {
    const r = rng(0xbeef);
    for (let i = 0; i < 10_000; i++) {
      const framer = new StreamFramer(65_535);
      const stream = mutate(Buffer.concat([TYPICAL[0] as Buffer, TYPICAL[1] as Buffer]), r);
      let at = 0;
      while (at < stream.length) {
        const n = 1 + Math.floor(r() * 200);
        for (const ev of framer.push(stream.subarray(at, at + n))) {
          if (ev.type === 'error' && !(ev.error instanceof SipParseError))
            throw new Error('untyped framer error');
          if (ev.type === 'message') {
            try {
              parseMessage(ev.data, { datagram: false });
            } catch (err) {
              if (!(err instanceof SipParseError)) throw err;
            }
          }
        }
        at += n;
      }
    }
  });
});
