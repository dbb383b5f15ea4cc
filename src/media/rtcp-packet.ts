/**
 * RTCP sender and receiver reports (RFC 3550 §6.4), parse and serialize. RTCP is sent every few
 * seconds per leg, so this code favours clarity over zero allocation.
 *
 *         0                   1                   2                   3
 *         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * header |V=2|P|    RC   |   PT=SR=200   |             length            |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         SSRC of sender                        |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * sender |              NTP timestamp, most significant word             |
 * info   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * (SR    |             NTP timestamp, least significant word             |
 * only)  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         RTP timestamp                         |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                     sender's packet count                     |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                      sender's octet count                     |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * report |                 SSRC_1 (SSRC of first source)                 |
 * block  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   1    | fraction lost |       cumulative number of packets lost       |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |           extended highest sequence number received           |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                      interarrival jitter                      |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         last SR (LSR)                         |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                   delay since last SR (DLSR)                  |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *
 * A receiver report (PT=RR=201) is the same without the sender info.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
const REPORT_BLOCK_SIZE = 24;
const SENDER_INFO_SIZE = 20;

export interface ReportBlock {
  ssrc: number;
  /** Fraction of packets lost since the previous report, as a fixed-point number /256. */
  fractionLost: number;
  /** Cumulative packets lost: a signed 24-bit number (duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

export interface SenderInfo {
  ntpMsw: number;
  ntpLsw: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface RtcpReport {
  type: typeof RTCP_SR | typeof RTCP_RR;
  ssrc: number;
  sender?: SenderInfo;
  reports: ReportBlock[];
}

/** Serializes one SR (when `sender` is set) or RR. At most 31 report blocks (5-bit RC). */
export function serializeRtcpReport(r: RtcpReport): Buffer {
  const blocks = r.reports.slice(0, 31);
  const isSr = r.type === RTCP_SR;
  const size = 8 + (isSr ? SENDER_INFO_SIZE : 0) + blocks.length * REPORT_BLOCK_SIZE;
  const buf = Buffer.alloc(size);
  buf[0] = 0x80 | blocks.length;
  buf[1] = r.type;
  // RFC 3550 §6.4.1: "length: 16 bits. The length of this RTCP packet in 32-bit words minus one".
  buf.writeUInt16BE(size / 4 - 1, 2);
  buf.writeUInt32BE(r.ssrc >>> 0, 4);
  let o = 8;
  if (isSr) {
    const s = r.sender ?? { ntpMsw: 0, ntpLsw: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 };
    buf.writeUInt32BE(s.ntpMsw >>> 0, o);
    buf.writeUInt32BE(s.ntpLsw >>> 0, o + 4);
    buf.writeUInt32BE(s.rtpTimestamp >>> 0, o + 8);
    buf.writeUInt32BE(s.packetCount >>> 0, o + 12);
    buf.writeUInt32BE(s.octetCount >>> 0, o + 16);
    o += SENDER_INFO_SIZE;
  }
  for (const b of blocks) {
    buf.writeUInt32BE(b.ssrc >>> 0, o);
    buf[o + 4] = b.fractionLost & 0xff;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost)) & 0xffffff;
    buf[o + 5] = lost >> 16;
    buf[o + 6] = (lost >> 8) & 0xff;
    buf[o + 7] = lost & 0xff;
    buf.writeUInt32BE(b.extendedHighestSeq >>> 0, o + 8);
    buf.writeUInt32BE(b.jitter >>> 0, o + 12);
    buf.writeUInt32BE(b.lastSr >>> 0, o + 16);
    buf.writeUInt32BE(b.delaySinceLastSr >>> 0, o + 20);
    o += REPORT_BLOCK_SIZE;
  }
  return buf;
}

/**
 * Parses a compound RTCP packet and returns its SR and RR packets (other types — SDES, BYE, APP —
 * are skipped). Returns `undefined` if the compound packet is malformed: RFC 3550 §A.2 validity
 * checks (version 2, the first packet is SR or RR, lengths add up to the datagram).
 */
export function parseRtcpCompound(buf: Uint8Array, length = buf.length): RtcpReport[] | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, length);
  const out: RtcpReport[] = [];
  let o = 0;
  let first = true;
  while (o < length) {
    if (o + 4 > length) return undefined;
    const b0 = buf[o]!;
    const pt = buf[o + 1]!;
    if (b0 >> 6 !== 2) return undefined;
    if (first && pt !== RTCP_SR && pt !== RTCP_RR) return undefined;
    // RFC 3550 §A.2: "the padding bit (P) should be zero for the first packet of a compound RTCP packet".
    if (first && b0 & 0x20) return undefined;
    first = false;
    const size = (dv.getUint16(o + 2) + 1) * 4;
    if (o + size > length) return undefined;
    if (pt === RTCP_SR || pt === RTCP_RR) {
      const rc = b0 & 0x1f;
      const need = 8 + (pt === RTCP_SR ? SENDER_INFO_SIZE : 0) + rc * REPORT_BLOCK_SIZE;
      if (need > size) return undefined;
      const report: RtcpReport = { type: pt, ssrc: dv.getUint32(o + 4), reports: [] };
      let p = o + 8;
      if (pt === RTCP_SR) {
        report.sender = {
          ntpMsw: dv.getUint32(p),
          ntpLsw: dv.getUint32(p + 4),
          rtpTimestamp: dv.getUint32(p + 8),
          packetCount: dv.getUint32(p + 12),
          octetCount: dv.getUint32(p + 16),
        };
        p += SENDER_INFO_SIZE;
      }
      for (let i = 0; i < rc; i++) {
        const raw = (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!;
        report.reports.push({
          ssrc: dv.getUint32(p),
          fractionLost: buf[p + 4]!,
          cumulativeLost: raw & 0x800000 ? raw - 0x1000000 : raw,
          extendedHighestSeq: dv.getUint32(p + 8),
          jitter: dv.getUint32(p + 12),
          lastSr: dv.getUint32(p + 16),
          delaySinceLastSr: dv.getUint32(p + 20),
        });
        p += REPORT_BLOCK_SIZE;
      }
      out.push(report);
    }
    o += size;
  }
  return out;
}

/** Converts a Unix time in ms to the 64-bit NTP timestamp (RFC 3550 §4: seconds since 1900). */
export function ntpFromUnixMs(ms: number): { msw: number; lsw: number } {
  const seconds = Math.floor(ms / 1000);
  const frac = ms - seconds * 1000;
  return { msw: (seconds + 2_208_988_800) >>> 0, lsw: Math.floor((frac / 1000) * 0x1_0000_0000) >>> 0 };
}
