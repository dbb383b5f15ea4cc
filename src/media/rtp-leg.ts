/**
 * One RTP endpoint inside a media worker: its UDP sockets (RTP on an even port, RTCP on the next),
 * symmetric RTP with strict source after latching, receive statistics and the jitter buffer that
 * feeds the mixer, and the outgoing stream (own SSRC, continuous sequence and timestamps whatever
 * the mixer feeds it: forwarded, mixed or silence).
 */

import { randomBytes } from 'node:crypto';
import { decodeTable, type G711Codec, PAYLOAD_TYPE } from './g711.js';
import { JitterBuffer, quietCodeTable } from './jitter-buffer.js';
import {
  type DatagramSink,
  ipv4ToNumber,
  type LegSocket,
  numberToIpv4,
  type SendBuffer,
} from './leg-socket.js';
import { checkLegTransition, LegState } from './leg-state.js';
import type { LegDescription, LegStats, LegUpdate, RemoteAddress } from './media-types.js';
import type { MixerLeg } from './mixer.js';
import { ntpFromUnixMs, parseRtcpCompound, RTCP_RR, RTCP_SR, serializeRtcpReport } from './rtcp-packet.js';
import {
  networkOrderWord,
  parseRtp,
  RTP_HEADER_SIZE,
  RtpParse,
  type RtpView,
  writeRtpHeader,
  writeRtpHeaderWords,
} from './rtp-packet.js';
import { RtpReceiveStats } from './rtp-receive-stats.js';
import type { Direction } from './sdp-audio.js';
import { FRAME_SAMPLES } from './system-source.js';
import { copyFrame, wordsOf } from './word-copy.js';

const OUT_RING = 8;
const EMPTY_WORDS = new Uint32Array(0);
const MAX_OUT = RTP_HEADER_SIZE + 320;

/** What the leg needs from its worker. */
export interface LegHost {
  now(): number;
  /** Shared parse view (one per worker: parsing is synchronous). */
  readonly view: RtpView;
  /** RFC 4733 events are relayed on receipt, outside the mixer. */
  relayEvent(from: RtpLeg, packet: Buffer): void;
}

export class RtpLeg implements MixerLeg, DatagramSink {
  readonly id: string;
  readonly group: string;
  codec: G711Codec;
  /** `PAYLOAD_TYPE[codec]`, kept as a number (no keyed lookup per packet). */
  private payloadType: number;
  telephoneEventPt: number | undefined;
  direction: Direction;
  readonly jb = new JitterBuffer();
  private state = LegState.Idle;
  private remote: RemoteAddress | undefined;
  /** `remote.address` as an IPv4 number (addresses are compared as numbers: no string per packet). */
  private remoteAddress = -1;
  private latchedAddress = -1;
  private latchedPort = 0;
  /** Where RTCP reports go once the peer has sent us RTCP (address -1: not yet). */
  private rtcpPeerAddress = -1;
  private rtcpPeerPort = 0;
  private readonly rx = new RtpReceiveStats();
  /** `remote.port` (0: no remote). */
  private remotePort = 0;
  /**
   * The RTP socket's send buffer when it sends zero-copy (`reserve`, the native path): `emit`
   * writes its packet straight into it. Null: `emit` writes into `out` and `send`s that.
   */
  private readonly sendBuffer: SendBuffer | null;
  private readonly out: Buffer[];
  /** `out` as 32-bit words over the same bytes (each buffer is its own allocation, offset 0). */
  private readonly out32: Uint32Array[];
  /**
   * The array `emit` last copied from, its memory's words and its `byteOffset` (looked up only
   * when the source object changes).
   */
  private emitSource: Uint8Array | null = null;
  private emitWords: Uint32Array = EMPTY_WORDS;
  private emitBase = 0;
  private outIndex = 0;
  private readonly ssrc: number;
  /** `networkOrderWord(ssrc)`: the header's last word as stored. */
  private readonly ssrcWord: number;
  private seq: number;
  private ts: number;
  private marker = true;
  private eventSrcTs = -1;
  private eventOutTs = 0;
  private readonly counters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    malformed: 0,
    unexpectedPayloadType: 0,
    strictSourceDrops: 0,
    telephoneEvents: 0,
  };
  private remoteReport: LegStats['remoteReport'] = null;

  constructor(
    desc: LegDescription,
    readonly port: number,
    private readonly rtp: LegSocket,
    private readonly rtcp: LegSocket,
    private readonly host: LegHost,
  ) {
    this.id = desc.id;
    this.group = desc.group;
    this.codec = desc.codec;
    this.payloadType = PAYLOAD_TYPE[desc.codec];
    this.telephoneEventPt = desc.telephoneEventPt;
    this.direction = desc.direction ?? 'sendrecv';
    this.jb.quietCodes = quietCodeTable(decodeTable(this.codec));
    const rnd = randomBytes(10);
    this.ssrc = rnd.readUInt32BE(0);
    this.ssrcWord = networkOrderWord(this.ssrc);
    this.seq = rnd.readUInt16BE(4);
    this.ts = rnd.readUInt32BE(6);
    this.sendBuffer = rtp.sendBuffer !== undefined && rtp.reserve !== undefined ? rtp.sendBuffer : null;
    this.out = Array.from({ length: OUT_RING }, () => Buffer.alloc(MAX_OUT));
    this.out32 = this.out.map((b) => new Uint32Array(b.buffer, b.byteOffset, MAX_OUT >>> 2));
    if (desc.remote) this.setRemote(desc.remote);
    const rtcpSink: DatagramSink = {
      onDatagram: (buf, off, len, address, port, truncated) =>
        truncated ? this.counters.malformed++ : this.onRtcp(buf, off, len, address, port),
    };
    rtp.setSink(this); // the leg is the RTP port's sink: one call per datagram, no closure
    rtcp.setSink(rtcpSink);
  }

  get currentState(): LegState {
    return this.state;
  }

  private transition(to: LegState): void {
    checkLegTransition(this.id, this.state, to);
    this.state = to;
  }

  private setRemote(remote: RemoteAddress | undefined): void {
    // Only IPv4 literals can be reached from our udp4 sockets; anything else is "not signalled".
    const address = remote ? ipv4ToNumber(remote.address) : -1;
    this.remote = remote && remote.port > 0 && address > 0 ? { ...remote } : undefined;
    this.remoteAddress = this.remote ? address : -1;
    this.remotePort = this.remote ? this.remote.port : 0;
    this.latchedAddress = -1;
    this.latchedPort = 0;
    this.rtcpPeerAddress = -1;
    this.transition(this.remote ? LegState.Signalled : LegState.Idle);
  }

  /** Renegotiation: applies the changes and restarts latching. */
  update(u: LegUpdate): void {
    if (u.codec && u.codec !== this.codec) {
      this.codec = u.codec;
      this.payloadType = PAYLOAD_TYPE[u.codec];
      this.jb.reset();
      this.jb.quietCodes = quietCodeTable(decodeTable(this.codec));
    }
    if (u.direction) this.direction = u.direction;
    if (u.telephoneEventPt !== undefined) this.telephoneEventPt = u.telephoneEventPt ?? undefined;
    this.setRemote(u.remote === undefined ? this.remote : (u.remote ?? undefined));
  }

  private get receiving(): boolean {
    return this.direction === 'sendrecv' || this.direction === 'recvonly';
  }
  private get sending(): boolean {
    return this.direction === 'sendrecv' || this.direction === 'sendonly';
  }

  /** One datagram on the RTP port: `msg[off … off + len)` (a shared receive buffer on the native path). */
  onDatagram(msg: Buffer, off: number, len: number, address: number, port: number, truncated: boolean): void {
    if (this.state === LegState.Closed) return;
    if (truncated) {
      this.counters.malformed++; // longer than any RTP we accept
      return;
    }
    const view = this.host.view;
    const st = parseRtp(msg, len, view, off);
    if (st !== RtpParse.OK) {
      if (st === RtpParse.RTCP_RANGE)
        this.onRtcp(msg, off, len, address, port); // RFC 5761 rtcp-mux
      else this.counters.malformed++;
      return;
    }
    const pt = view.payloadType;
    const isEvent = pt === this.telephoneEventPt;
    if (!isEvent && pt !== this.payloadType) {
      this.counters.unexpectedPayloadType++;
      return;
    }
    // Strict source: only a valid packet of ours may latch; after that, only that source is heard.
    if (this.state === LegState.Latched) {
      if (port !== this.latchedPort || address !== this.latchedAddress) {
        this.counters.strictSourceDrops++;
        return;
      }
    } else if (this.state === LegState.Signalled && address !== this.remoteAddress) {
      this.counters.strictSourceDrops++;
      return;
    } else {
      this.latchedAddress = address;
      this.latchedPort = port;
      this.transition(LegState.Latched);
    }
    if (!this.receiving) return;
    if (isEvent) {
      this.counters.telephoneEvents++;
      this.host.relayEvent(this, msg);
      return;
    }
    if (view.payloadLength !== FRAME_SAMPLES) {
      // DEVIATION(RFC 3551 §4.5): only 20 ms G.711 frames (ptime 20) are accepted.
      this.counters.malformed++;
      return;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += len;
    const now = this.host.now();
    if (!this.rx.update(view.ssrc, view.sequence, view.timestamp, now)) return;
    this.jb.jitterMs = this.rx.jitterMs;
    this.jb.push(view.ssrc, view.sequence, msg, view.payloadOffset, view.payloadLength, now);
  }

  private destination(): boolean {
    return this.state === LegState.Latched || this.remote !== undefined;
  }

  /** Sends one audio frame to the peer (called by the mixer each tick). */
  emit(payload: Uint8Array, offset: number, length: number): void {
    if (this.state === LegState.Closed || !this.sending || !this.destination()) {
      this.advance();
      return;
    }
    if (payload !== this.emitSource) {
      this.emitSource = payload;
      this.emitWords = wordsOf(payload.buffer);
      this.emitBase = payload.byteOffset;
    }
    const size = RTP_HEADER_SIZE + length;
    const sb = this.sendBuffer;
    if (sb !== null) {
      // Zero-copy: the packet is written where the I/O sends it from.
      const latched = this.state === LegState.Latched;
      this.counters.packetsOut++;
      this.counters.bytesOut += size;
      const at = this.rtp.reserve!(
        size,
        latched ? this.latchedAddress : this.remoteAddress,
        latched ? this.latchedPort : this.remotePort,
      );
      if (at >= 0) {
        const words = sb.words;
        writeRtpHeaderWords(
          words,
          (sb.base + at) >>> 2,
          this.marker,
          this.payloadType,
          this.seq,
          this.ts,
          this.ssrcWord,
        );
        copyFrame(
          sb.bytes,
          words,
          sb.base,
          at + RTP_HEADER_SIZE,
          payload,
          this.emitWords,
          this.emitBase,
          offset,
          length,
        );
      }
      this.marker = false;
      this.advance();
      return;
    }
    const index = this.outIndex;
    const buf = this.out[index]!;
    this.outIndex = (index + 1) % OUT_RING;
    writeRtpHeader(buf, this.marker, this.payloadType, this.seq, this.ts, this.ssrc);
    this.marker = false;
    copyFrame(
      buf,
      this.out32[index]!,
      0,
      RTP_HEADER_SIZE,
      payload,
      this.emitWords,
      this.emitBase,
      offset,
      length,
    );
    this.advance();
    this.send(buf, size);
  }

  private advance(): void {
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
  }

  private send(buf: Buffer, length: number): void {
    const latched = this.state === LegState.Latched;
    const port = latched ? this.latchedPort : this.remotePort;
    const address = latched ? this.latchedAddress : this.remoteAddress;
    this.counters.packetsOut++;
    this.counters.bytesOut += length;
    this.rtp.send(buf, length, address, port);
  }

  /**
   * RFC 4733 §2.5.1.5 passthrough: the event keeps its payload; it is re-stamped into this leg's
   * stream (our SSRC and sequence; one timestamp per event, the one current when the event began).
   */
  emitEvent(packet: Buffer, view: RtpView): void {
    if (this.telephoneEventPt === undefined || !this.sending || !this.destination()) return;
    if (this.state === LegState.Closed) return;
    if (view.timestamp !== this.eventSrcTs) {
      this.eventSrcTs = view.timestamp;
      this.eventOutTs = this.ts;
    }
    const buf = this.out[this.outIndex]!;
    this.outIndex = (this.outIndex + 1) % OUT_RING;
    const len = Math.min(view.payloadLength, MAX_OUT - RTP_HEADER_SIZE);
    writeRtpHeader(buf, view.marker, this.telephoneEventPt, this.seq, this.eventOutTs, this.ssrc);
    packet.copy(buf, RTP_HEADER_SIZE, view.payloadOffset, view.payloadOffset + len);
    this.seq = (this.seq + 1) & 0xffff;
    this.send(buf, RTP_HEADER_SIZE + len);
  }

  private onRtcp(msg: Buffer, off: number, len: number, address: number, port: number): void {
    if (this.state !== LegState.Latched || address !== this.latchedAddress) {
      if (this.state === LegState.Latched) this.counters.strictSourceDrops++;
      return;
    }
    // RTCP is rare (one compound per 5 s per peer): a view over the shared buffer is fine here.
    const reports = parseRtcpCompound(off === 0 ? msg : msg.subarray(off, off + len), len);
    if (!reports) {
      this.counters.malformed++;
      return;
    }
    if (this.rtcpPeerAddress === -1) {
      this.rtcpPeerAddress = address;
      this.rtcpPeerPort = port;
    }
    for (const r of reports) {
      for (const b of r.reports) {
        if (b.ssrc !== this.ssrc) continue;
        this.remoteReport = {
          fractionLost: b.fractionLost / 256,
          cumulativeLost: b.cumulativeLost,
          jitterMs: (b.jitter * 1000) / 8000,
        };
      }
    }
  }

  /** RFC 3550 §6.4: an SR if we sent since the last report, else an RR. Called every few seconds. */
  sendRtcpReport(): void {
    if (this.state !== LegState.Latched && this.remote === undefined) return;
    const latched = this.state === LegState.Latched;
    const peerAddress =
      this.rtcpPeerAddress !== -1 ? this.rtcpPeerAddress : latched ? this.latchedAddress : this.remoteAddress;
    const peerPort =
      this.rtcpPeerAddress !== -1 ? this.rtcpPeerPort : (latched ? this.latchedPort : this.remote!.port) + 1;
    const blocks =
      this.rx.ssrc === -1
        ? []
        : [
            {
              ssrc: this.rx.ssrc,
              fractionLost: this.rx.takeFractionLost(),
              cumulativeLost: this.rx.cumulativeLost,
              extendedHighestSeq: this.rx.extendedHighestSeq,
              jitter: this.rx.jitter,
              lastSr: 0,
              delaySinceLastSr: 0,
            },
          ];
    const ntp = ntpFromUnixMs(this.host.now());
    const sending = this.counters.packetsOut > 0;
    const pkt = serializeRtcpReport({
      type: sending ? RTCP_SR : RTCP_RR,
      ssrc: this.ssrc,
      sender: {
        ntpMsw: ntp.msw,
        ntpLsw: ntp.lsw,
        rtpTimestamp: this.ts,
        packetCount: this.counters.packetsOut,
        octetCount: this.counters.bytesOut,
      },
      reports: blocks,
    });
    this.rtcp.send(pkt, pkt.length, peerAddress, peerPort);
  }

  stats(): LegStats {
    const jb = this.jb.stats;
    const latched = this.state === LegState.Latched;
    return {
      id: this.id,
      state: this.state,
      port: this.port,
      peer: latched
        ? { address: numberToIpv4(this.latchedAddress), port: this.latchedPort }
        : (this.remote ?? null),
      ...this.counters,
      lost: this.rx.cumulativeLost,
      jitterMs: Math.round(this.rx.jitterMs * 100) / 100,
      late: jb.late,
      duplicates: jb.duplicates,
      dropped: jb.dropped,
      droppedQuiet: jb.droppedQuiet,
      discardedUnheard: jb.discardedUnheard,
      concealed: jb.concealed,
      ssrcChanges: this.rx.ssrcChanges,
      remoteReport: this.remoteReport,
    };
  }

  dump(): Record<string, unknown> {
    return {
      ...this.stats(),
      group: this.group,
      codec: this.codec,
      direction: this.direction,
      jb: this.jb.dump(),
    };
  }

  /** Idempotent. */
  close(): void {
    if (this.state === LegState.Closed) return;
    this.transition(LegState.Closed);
    this.rtp.close();
    this.rtcp.close();
  }
}
