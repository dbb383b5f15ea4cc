/**
 * Reusable audio helpers for tests: tone synthesis in µ-law / A-law, a Goertzel detector, dBFS
 * levels, and RTP extraction from a classic pcap (`tcpdump -i lo -U -s 0 -w cap.pcap udp portrange A-B`).
 * See docs/TESTING.md "Proving who hears whom" for thresholds (heard > 0.1, not heard < 0.01).
 */
import { readFileSync } from 'node:fs';
import { ALAW_DECODE, ALAW_ENCODE, ULAW_DECODE, ULAW_ENCODE } from '../../src/media/g711.js';

export const RATE = 8000;

/** 16-bit PCM of a sine tone; `amplitude` is a fraction of full scale; `phase` in samples. */
export function tonePcm(freq: number, ms: number, amplitude = 0.3, startSample = 0): Int16Array {
  const n = Math.round((ms * RATE) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.round(Math.sin((2 * Math.PI * freq * (i + startSample)) / RATE) * amplitude * 32767);
  }
  return out;
}

export function encodeUlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ULAW_ENCODE[pcm[i]! & 0xffff]!;
  return out;
}
export function encodeAlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[pcm[i]! & 0xffff]!;
  return out;
}
export function decodeUlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_DECODE[bytes[i]!]!;
  return out;
}
export function decodeAlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE[bytes[i]!]!;
  return out;
}

/** A µ-law tone (e.g. for SIPp's raw `rtp_stream` or a test sender). */
export function toneUlaw(freq: number, ms: number, amplitude = 0.3, startSample = 0): Uint8Array {
  return encodeUlaw(tonePcm(freq, ms, amplitude, startSample));
}
export function toneAlaw(freq: number, ms: number, amplitude = 0.3, startSample = 0): Uint8Array {
  return encodeAlaw(tonePcm(freq, ms, amplitude, startSample));
}

/** A 16-bit mono PCM WAV file (for baresip's aufile and Chromium's fake microphone). */
export function wavFile(pcm: Int16Array, rate = RATE): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Goertzel power at `freq` over the whole window. */
function goertzelRaw(samples: ArrayLike<number>, freq: number, rate: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * The fraction of the window's energy at `freq`: ~1.0 for a pure tone, ~0.5 each for two equal
 * tones, ~0 when absent. 0 for a silent window.
 */
export function goertzelPower(samples: ArrayLike<number>, freq: number, rate = RATE): number {
  let energy = 0;
  for (let i = 0; i < samples.length; i++) energy += samples[i]! * samples[i]!;
  if (energy === 0) return 0;
  return (2 * goertzelRaw(samples, freq, rate)) / (samples.length * energy);
}

/** Level of the `freq` component in dB relative to a full-scale sine (−∞ when absent). */
export function toneDbfs(samples: ArrayLike<number>, freq: number, rate = RATE): number {
  const amplitude = (2 * Math.sqrt(Math.max(0, goertzelRaw(samples, freq, rate)))) / samples.length;
  return 20 * Math.log10(amplitude / 32767);
}

/** RMS level of a window in dBFS (full-scale sine = −3 dBFS). */
export function rmsDbfs(samples: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < samples.length; i++) e += samples[i]! * samples[i]!;
  return 10 * Math.log10(e / samples.length / (32768 * 32768));
}

export interface CapturedRtp {
  /** Capture time in ms. */
  timeMs: number;
  srcPort: number;
  dstPort: number;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
}

/**
 * Reads RTP packets from a classic pcap file (not pcapng), keeping UDP datagrams to `dstPort`
 * (all if omitted). Handles both byte orders, Ethernet (1), raw IP (101) and Linux cooked (113)
 * link types; IPv4 only.
 */
export function decodePcapRtp(file: string | Buffer, opts: { dstPort?: number } = {}): CapturedRtp[] {
  const buf = typeof file === 'string' ? readFileSync(file) : file;
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nano = false;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error('not a classic pcap file');
  if (magic === 0xa1b23c4d || magic === 0x4d3cb2a1) nano = true;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const out: CapturedRtp[] = [];
  let o = 24;
  while (o + 16 <= buf.length) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const capLen = u32(o + 8);
    const frame = buf.subarray(o + 16, o + 16 + capLen);
    o += 16 + capLen;
    let ip: number;
    if (linkType === 1) ip = 14;
    else if (linkType === 101) ip = 0;
    else if (linkType === 113) ip = 16;
    else if (linkType === 0)
      ip = 4; // BSD loopback
    else continue;
    if (frame.length < ip + 20 || frame[ip]! >> 4 !== 4 || frame[ip + 9] !== 17) continue;
    const udp = ip + (frame[ip]! & 0x0f) * 4;
    if (frame.length < udp + 8 + 12) continue;
    const srcPort = frame.readUInt16BE(udp);
    const dstPort = frame.readUInt16BE(udp + 2);
    if (opts.dstPort !== undefined && dstPort !== opts.dstPort) continue;
    const rtp = frame.subarray(udp + 8, udp + frame.readUInt16BE(udp + 4));
    if (rtp[0]! >> 6 !== 2) continue;
    const pt = rtp[1]! & 0x7f;
    if (pt >= 64 && pt <= 95) continue; // RTCP
    const cc = rtp[0]! & 0x0f;
    let start = 12 + cc * 4;
    if (rtp[0]! & 0x10) start += 4 + rtp.readUInt16BE(start + 2) * 4;
    let end = rtp.length;
    if (rtp[0]! & 0x20) end -= rtp[rtp.length - 1]!;
    out.push({
      timeMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3),
      srcPort,
      dstPort,
      payloadType: pt,
      sequence: rtp.readUInt16BE(2),
      timestamp: rtp.readUInt32BE(4),
      ssrc: rtp.readUInt32BE(8),
      marker: (rtp[1]! & 0x80) !== 0,
      payload: Buffer.from(rtp.subarray(start, Math.max(start, end))),
    });
  }
  return out;
}

/** Writes a classic pcap (raw IPv4 link type) of UDP datagrams on 127.0.0.1 — for testing `decodePcapRtp`. */
export function encodePcap(
  packets: { timeMs: number; srcPort: number; dstPort: number; data: Uint8Array }[],
): Buffer {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16);
  gh.writeUInt32LE(101, 20);
  parts.push(gh);
  for (const p of packets) {
    const ip = Buffer.alloc(28);
    ip[0] = 0x45;
    ip.writeUInt16BE(28 + p.data.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    ip.writeUInt16BE(p.srcPort, 20);
    ip.writeUInt16BE(p.dstPort, 22);
    ip.writeUInt16BE(8 + p.data.length, 24);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(p.timeMs / 1000), 0);
    rh.writeUInt32LE(Math.round((p.timeMs % 1000) * 1000), 4);
    rh.writeUInt32LE(28 + p.data.length, 8);
    rh.writeUInt32LE(28 + p.data.length, 12);
    parts.push(rh, ip, Buffer.from(p.data));
  }
  return Buffer.concat(parts);
}
