/**
 * RTP fixed header (RFC 3550 §5.1), parsed in place and serialized into caller-owned buffers.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           timestamp                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           synchronization source (SSRC) identifier            |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |            contributing source (CSRC) identifiers             |
 *    |                             ....                              |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    | (X=1) defined by profile      |           length              |
 *    |                        header extension                       |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                     payload  ...  | padding ... | pad count   |
 *
 * Parsing is allocation-free: `parseRtp` fills a reusable `RtpView` and returns a status code.
 */

/** Byte offsets of the fixed header. */
export const RTP_OFFSET = {
  FLAGS: 0,
  MARKER_PT: 1,
  SEQUENCE: 2,
  TIMESTAMP: 4,
  SSRC: 8,
  CSRC: 12,
} as const;
export const RTP_HEADER_SIZE = 12;
export const RTP_VERSION = 2;

/** Why a datagram is not a usable RTP packet. `OK` is 0 so callers test `if (status !== RtpParse.OK)`. */
export enum RtpParse {
  OK = 0,
  TOO_SHORT = 1,
  BAD_VERSION = 2,
  BAD_CSRC = 3,
  BAD_EXTENSION = 4,
  BAD_PADDING = 5,
  /** RFC 5761 §4: payload types 64–95 collide with RTCP packet types (rtcp-mux); not RTP. */
  RTCP_RANGE = 6,
}

/** A decoded RTP header; the payload stays in the datagram (`payloadOffset`, `payloadLength`). */
export class RtpView {
  padding = false;
  extension = false;
  csrcCount = 0;
  marker = false;
  payloadType = 0;
  sequence = 0;
  timestamp = 0;
  ssrc = 0;
  payloadOffset = 0;
  payloadLength = 0;
  /** Offset of the 4-byte extension header when `extension` is set, else -1. */
  extensionOffset = -1;
}

/**
 * Parses the datagram `buf[start..start+length)` into `view` (offsets in `view` are absolute in
 * `buf`, so a datagram inside a shared receive buffer is parsed in place). Validates everything
 * RFC 3550 lets a receiver check:
 * "The RTP version number MUST be 2", the CSRC list and header extension fit in the datagram, and
 * "the last octet of the padding contains a count of how many padding octets should be ignored,
 * including itself" — a count of 0 or one larger than the payload is invalid.
 */
export function parseRtp(buf: Uint8Array, length: number, view: RtpView, start = 0): RtpParse {
  if (length < RTP_HEADER_SIZE) return RtpParse.TOO_SHORT;
  const s = start;
  const b0 = buf[s]!;
  if (b0 >> 6 !== RTP_VERSION) return RtpParse.BAD_VERSION;
  const b1 = buf[s + 1]!;
  const pt = b1 & 0x7f;
  if (pt >= 64 && pt <= 95) return RtpParse.RTCP_RANGE;
  const cc = b0 & 0x0f;
  let offset = RTP_HEADER_SIZE + cc * 4;
  if (offset > length) return RtpParse.BAD_CSRC;
  view.extensionOffset = -1;
  if (b0 & 0x10) {
    if (offset + 4 > length) return RtpParse.BAD_EXTENSION;
    const words = (buf[s + offset + 2]! << 8) | buf[s + offset + 3]!;
    view.extensionOffset = s + offset;
    offset += 4 + words * 4;
    if (offset > length) return RtpParse.BAD_EXTENSION;
  }
  let end = length;
  if (b0 & 0x20) {
    const pad = buf[s + length - 1]!;
    if (pad === 0 || pad > end - offset) return RtpParse.BAD_PADDING;
    end -= pad;
  }
  view.padding = (b0 & 0x20) !== 0;
  view.extension = (b0 & 0x10) !== 0;
  view.csrcCount = cc;
  view.marker = (b1 & 0x80) !== 0;
  view.payloadType = pt;
  view.sequence = (buf[s + 2]! << 8) | buf[s + 3]!;
  view.timestamp = ((buf[s + 4]! << 24) | (buf[s + 5]! << 16) | (buf[s + 6]! << 8) | buf[s + 7]!) >>> 0;
  view.ssrc = ((buf[s + 8]! << 24) | (buf[s + 9]! << 16) | (buf[s + 10]! << 8) | buf[s + 11]!) >>> 0;
  view.payloadOffset = s + offset;
  view.payloadLength = end - offset;
  return RtpParse.OK;
}

/**
 * Writes a 12-byte header (V=2, no padding, no extension, no CSRC) at `buf[0..12)`; the payload
 * goes at offset 12. Returns the header size.
 */
export function writeRtpHeader(
  buf: Uint8Array,
  marker: boolean,
  payloadType: number,
  sequence: number,
  timestamp: number,
  ssrc: number,
): number {
  buf[0] = RTP_VERSION << 6;
  buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf[2] = (sequence >> 8) & 0xff;
  buf[3] = sequence & 0xff;
  buf[4] = (timestamp >>> 24) & 0xff;
  buf[5] = (timestamp >>> 16) & 0xff;
  buf[6] = (timestamp >>> 8) & 0xff;
  buf[7] = timestamp & 0xff;
  buf[8] = (ssrc >>> 24) & 0xff;
  buf[9] = (ssrc >>> 16) & 0xff;
  buf[10] = (ssrc >>> 8) & 0xff;
  buf[11] = ssrc & 0xff;
  return RTP_HEADER_SIZE;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The 32-bit word (for a `Uint32Array` store) whose bytes in memory are `v` in network order. */
export function networkOrderWord(v: number): number {
  return LITTLE_ENDIAN
    ? ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) >>> 0
    : v >>> 0;
}

/**
 * `writeRtpHeader` as three 32-bit stores into `words[w … w + 3)` (the header starts at byte
 * `4 × w` of the words' memory). `ssrcWord` is `networkOrderWord(ssrc)`, computed once per stream.
 */
export function writeRtpHeaderWords(
  words: Uint32Array,
  w: number,
  marker: boolean,
  payloadType: number,
  sequence: number,
  timestamp: number,
  ssrcWord: number,
): void {
  words[w] = networkOrderWord(
    (RTP_VERSION << 30) | (marker ? 0x800000 : 0) | ((payloadType & 0x7f) << 16) | (sequence & 0xffff),
  );
  words[w + 1] = networkOrderWord(timestamp);
  words[w + 2] = ssrcWord;
}

/** A complete RTP packet as plain data, for tests and tools (allocates; not for hot paths). */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrcs?: number[];
  extension?: { profile: number; data: Uint8Array };
  payload: Uint8Array;
  /** Number of padding octets to append (including the count octet), 0 for none. */
  padding?: number;
}

/** Serializes a full packet, including CSRCs, header extension and padding. */
export function serializeRtp(p: RtpPacket): Buffer {
  const csrcs = p.csrcs ?? [];
  const extLen = p.extension ? 4 + Math.ceil(p.extension.data.length / 4) * 4 : 0;
  const pad = p.padding ?? 0;
  const total = RTP_HEADER_SIZE + csrcs.length * 4 + extLen + p.payload.length + pad;
  const buf = Buffer.alloc(total);
  writeRtpHeader(buf, p.marker, p.payloadType, p.sequence, p.timestamp, p.ssrc);
  buf[0] = buf[0]! | (pad ? 0x20 : 0) | (p.extension ? 0x10 : 0) | (csrcs.length & 0x0f);
  let o = RTP_HEADER_SIZE;
  for (const c of csrcs) {
    buf.writeUInt32BE(c >>> 0, o);
    o += 4;
  }
  if (p.extension) {
    buf.writeUInt16BE(p.extension.profile, o);
    buf.writeUInt16BE((extLen - 4) / 4, o + 2);
    buf.set(p.extension.data, o + 4);
    o += extLen;
  }
  buf.set(p.payload, o);
  o += p.payload.length;
  if (pad) buf[total - 1] = pad;
  return buf;
}

/** Parses into a fresh `RtpPacket` (allocates; for tests and tools), or returns the failure status. */
export function decodeRtp(buf: Uint8Array): RtpPacket | RtpParse {
  const v = new RtpView();
  const st = parseRtp(buf, buf.length, v);
  if (st !== RtpParse.OK) return st;
  const csrcs: number[] = [];
  for (let i = 0; i < v.csrcCount; i++) {
    const o = RTP_HEADER_SIZE + i * 4;
    csrcs.push(((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0);
  }
  const packet: RtpPacket = {
    marker: v.marker,
    payloadType: v.payloadType,
    sequence: v.sequence,
    timestamp: v.timestamp,
    ssrc: v.ssrc,
    payload: buf.slice(v.payloadOffset, v.payloadOffset + v.payloadLength),
  };
  if (csrcs.length) packet.csrcs = csrcs;
  if (v.extensionOffset >= 0) {
    const o = v.extensionOffset;
    const words = (buf[o + 2]! << 8) | buf[o + 3]!;
    packet.extension = { profile: (buf[o]! << 8) | buf[o + 1]!, data: buf.slice(o + 4, o + 4 + words * 4) };
  }
  if (v.padding) packet.padding = buf[buf.length - 1]!;
  return packet;
}
