/**
 * One browser phone's media session: ICE + DTLS-SRTP toward the browser (werift), plain RTP toward
 * one engine leg on this machine. The engine and its mixer treat the endpoint's relay port exactly
 * like any RTP phone. It knows nothing of SIP: call control carries the SDP it returns.
 */
import {
  type CandidatePair,
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpSender,
  type RtpPacket,
} from 'werift';
import { type Clock, SystemClock, type TimerHandle } from '../../util/clock.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { G711Codec } from '../g711.js';
import type { MediaLogger } from '../media-types.js';
import { PlainRtpRelay, type RelayCounters } from './plain-rtp-relay.js';
import { checkWebRtcTransition, WebRtcEndpointState, type WebRtcFailure } from './webrtc-endpoint-state.js';
import { webrtcError } from './webrtc-errors.js';
import { answeredCodec, readWebRtcAudio } from './webrtc-sdp.js';

export interface WebRtcEndpointOptions {
  id: string;
  /** The media host (EARSHOT_MEDIA_HOST): the only address advertised as an ICE host candidate. */
  host: string;
  /** The engine leg's plain RTP address (the gateway's relay socket sends there, and hears only it). */
  engineRtp: { address: string; port: number };
  /** Address the relay socket binds (default: `engineRtp.address`). */
  relayHost?: string;
  /** Which remote (browser) addresses ICE may pair with and answer (default: see `defaultRemoteFilter`). */
  allowRemoteAddress?: (address: string) => boolean;
  /** How long ICE + DTLS may take once both descriptions are known (default 10 s). */
  connectTimeoutMs?: number;
  clock?: Clock;
  logger?: MediaLogger;
  /** Called once when `close()` starts (the gateway forgets the endpoint). */
  onClose?: (endpoint: WebRtcEndpoint) => void;
}

export interface WebRtcEndpointStats extends RelayCounters {
  state: WebRtcEndpointState;
  codec: G711Codec | null;
  /** Packets decrypted from the browser and relayed to the engine. */
  fromBrowser: number;
  /** Packets from the engine handed to werift to encrypt and send to the browser. */
  toBrowser: number;
  /** Packets whose payload type is not the agreed codec (either direction), dropped. */
  wrongPayloadDrops: number;
  /** Engine packets that arrived before the browser side was connected, dropped. */
  notConnectedDrops: number;
  /** ICE candidate pairs and STUN requests refused because the remote address is not allowed. */
  refusedPairs: number;
  refusedStun: number;
}

export interface WebRtcEndpointDump extends WebRtcEndpointStats {
  id: string;
  failure: WebRtcFailure | null;
  relay: { address: string; port: number; closed: boolean };
  engineRtp: { address: string; port: number };
  connectTimerArmed: boolean;
  werift: { connectionState: string; iceConnectionState: string; closed: boolean } | null;
}

export type WebRtcEndpointEvents = {
  state: [state: WebRtcEndpointState, failure: WebRtcFailure | null];
};

const noopLogger: MediaLogger = {
  child: () => noopLogger,
  info() {},
  warn() {},
  error() {},
  debug() {},
};

/**
 * Default remote filter: a loopback media host talks only to loopback (tests, one-box demos); any
 * other host talks to any IPv4 address except loopback and link-local ones.
 */
export function defaultRemoteFilter(host: string): (address: string) => boolean {
  if (host.startsWith('127.')) return (a) => a.startsWith('127.');
  return (a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && !a.startsWith('127.') && !a.startsWith('169.254.');
}

export class WebRtcEndpoint extends TypedEmitter<WebRtcEndpointEvents> {
  readonly id: string;
  private _state = WebRtcEndpointState.New;
  private _failure: WebRtcFailure | null = null;
  private _codec: { name: G711Codec; payloadType: number } | null = null;
  private readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private sender: RTCRtpSender | null = null;
  private connectTimer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly log: MediaLogger;
  private readonly counters = {
    fromBrowser: 0,
    toBrowser: 0,
    wrongPayloadDrops: 0,
    notConnectedDrops: 0,
    refusedPairs: 0,
    refusedStun: 0,
  };
  private weriftClosed = false;
  private closing: Promise<void> | null = null;
  private readonly onSendError = (err: unknown) => this.log.debug({ err }, 'srtp send failed');

  private constructor(
    private readonly options: WebRtcEndpointOptions,
    private readonly relay: PlainRtpRelay,
  ) {
    super();
    this.id = options.id;
    this.clock = options.clock ?? new SystemClock();
    this.log = (options.logger ?? noopLogger).child({ module: 'media.webrtc', endpoint: options.id });
    const allow = options.allowRemoteAddress ?? defaultRemoteFilter(options.host);
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: [
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
        ],
      },
      // No header extensions: the engine ignores them and the relay strips them anyway.
      headerExtensions: { audio: [] },
      iceServers: [], // no STUN, no TURN: the media host is reachable as it is.
      // Gather exactly one host candidate: the media host. werift would otherwise add every
      // non-loopback interface address (iceUseIpv4/6 gate that), and bind sockets on all of them.
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceUseTcp: false,
      iceAdditionalHostAddresses: [options.host],
      iceInterfaceAddresses: { udp4: options.host },
      // Never send a connectivity check toward an address we do not allow...
      iceFilterCandidatePair: (pair: CandidatePair) => {
        if (allow(pair.remoteCandidate.host)) return true;
        this.counters.refusedPairs++;
        return false;
      },
      // ...nor answer (or learn a peer-reflexive candidate from) a check that comes from one.
      iceFilterStunResponse: (_msg, addr) => {
        if (allow(addr[0])) return true;
        this.counters.refusedStun++;
        return false;
      },
    });
    this.pc.connectionStateChange.subscribe((s) => this.onConnectionState(s));
    this.pc.onTrack.subscribe((t) => {
      t.onReceiveRtp.subscribe((rtp) => this.fromBrowser(rtp));
    });
    relay.onEngineRtp = (msg) => this.fromEngine(msg);
  }

  /** Binds the relay socket and prepares the peer connection (nothing is sent yet). */
  static async create(options: WebRtcEndpointOptions): Promise<WebRtcEndpoint> {
    const relay = await PlainRtpRelay.bind(options.relayHost ?? options.engineRtp.address, options.engineRtp);
    return new WebRtcEndpoint(options, relay);
  }

  get state(): WebRtcEndpointState {
    return this._state;
  }
  get failure(): WebRtcFailure | null {
    return this._failure;
  }
  /** The codec agreed with the browser (the engine leg must use it); null before negotiation. */
  get codec(): G711Codec | null {
    return this._codec?.name ?? null;
  }
  /** The relay socket the engine leg sends to and hears from. */
  get rtp(): { address: string; port: number } {
    return { address: this.relay.localAddress, port: this.relay.localPort };
  }

  /** Server calls the browser: our offer (PCMU, PCMA; a=setup:actpass; one host candidate). */
  async createOffer(): Promise<string> {
    this.transition(WebRtcEndpointState.Offering);
    const t = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    this.sender = t.sender;
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gathered();
    return this.localSdp();
  }

  /** The browser's answer to `createOffer()`. Throws (and changes nothing) if the SDP breaks our rules. */
  async acceptAnswer(sdp: string): Promise<void> {
    if (this._state !== WebRtcEndpointState.Offering) {
      throw webrtcError('WEBRTC_INVALID_STATE', `acceptAnswer in state ${this._state}`);
    }
    readWebRtcAudio(sdp, 'answer');
    this._codec = answeredCodec(sdp);
    this.transition(WebRtcEndpointState.Connecting);
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** The browser calls us: answers its offer. Throws (and changes nothing) if the SDP breaks our rules. */
  async acceptOffer(sdp: string): Promise<string> {
    if (this._state !== WebRtcEndpointState.New) {
      throw webrtcError('WEBRTC_INVALID_STATE', `acceptOffer in state ${this._state}`);
    }
    readWebRtcAudio(sdp, 'offer');
    this.transition(WebRtcEndpointState.Connecting);
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    this.sender = this.pc.addTrack(this.track);
    // RFC 5763 §5 / RFC 8842 §5.3: werift answers an actpass offer with a=setup:active (DTLS client).
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    const answer = this.localSdp();
    this._codec = answeredCodec(answer);
    return answer;
  }

  stats(): WebRtcEndpointStats {
    return { state: this._state, codec: this.codec, ...this.relay.counters, ...this.counters };
  }

  dump(): WebRtcEndpointDump {
    return {
      id: this.id,
      ...this.stats(),
      failure: this._failure,
      relay: { ...this.rtp, closed: this.relay.isClosed },
      engineRtp: { ...this.options.engineRtp },
      connectTimerArmed: this.connectTimer !== undefined,
      werift: {
        connectionState: this.pc.connectionState,
        iceConnectionState: this.pc.iceConnectionState,
        closed: this.weriftClosed,
      },
    };
  }

  /** Closes the peer connection and the relay socket. Idempotent; resolves when both are closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.transition(WebRtcEndpointState.Closed);
    this.options.onClose?.(this);
    this.relay.close();
    this.closing = this.closePeer().then(() => this.removeAllListeners());
    return this.closing;
  }

  // ── the relay paths (per packet) ────────────────────────────────────────────────────────────

  private fromBrowser(rtp: RtpPacket): void {
    const h = rtp.header;
    if (this._codec === null || h.payloadType !== this._codec.payloadType) {
      this.counters.wrongPayloadDrops++;
      return;
    }
    this.counters.fromBrowser++;
    this.relay.sendToEngine(h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc, rtp.payload);
  }

  private fromEngine(msg: Buffer): void {
    if (this._state !== WebRtcEndpointState.Connected || this.sender === null || this._codec === null) {
      this.counters.notConnectedDrops++;
      return;
    }
    if ((msg[1]! & 0x7f) !== this._codec.payloadType) {
      this.counters.wrongPayloadDrops++;
      return;
    }
    this.counters.toBrowser++;
    // werift parses the buffer, rewrites SSRC/PT/seq offsets, encrypts (SRTP) and sends.
    this.sender.sendRtp(msg).catch(this.onSendError);
  }

  // ── state ───────────────────────────────────────────────────────────────────────────────────

  /** The one place that assigns the state; timers armed on entering a state, cleared on leaving. */
  private transition(to: WebRtcEndpointState, failure: WebRtcFailure | null = null): void {
    const from = this._state;
    checkWebRtcTransition(this.id, from, to);
    if (from === WebRtcEndpointState.Connecting) {
      this.clock.clearTimer(this.connectTimer);
      this.connectTimer = undefined;
    }
    this._state = to;
    if (to === WebRtcEndpointState.Failed) this._failure = failure;
    if (to === WebRtcEndpointState.Connecting) {
      this.connectTimer = this.clock.setTimer(this.options.connectTimeoutMs ?? 10_000, () => {
        this.connectTimer = undefined;
        this.fail('connect-timeout');
      });
    }
    this.log.debug({ from, to, failure }, 'state');
    this.emit('state', to, this._state === WebRtcEndpointState.Failed ? this._failure : null);
  }

  private onConnectionState(s: string): void {
    if (s === 'connected' && this._state === WebRtcEndpointState.Connecting) {
      this.transition(WebRtcEndpointState.Connected);
      this.log.info({ codec: this.codec }, 'browser media connected');
    } else if (s === 'failed') {
      const dtlsFailed = this.pc.dtlsTransports.some((d) => d.state === 'failed');
      this.fail(dtlsFailed ? 'dtls-failed' : 'ice-failed');
    } else if (s === 'closed' && !this.closing) {
      this.fail('transport-closed');
    }
  }

  /** Moves to `failed` (once) and releases the peer connection; the relay stays until `close()`. */
  private fail(reason: WebRtcFailure): void {
    if (this._state !== WebRtcEndpointState.Connecting && this._state !== WebRtcEndpointState.Connected)
      return;
    this.log.warn({ reason }, 'browser media failed');
    this.transition(WebRtcEndpointState.Failed, reason);
    void this.closePeer();
  }

  private peerClosing: Promise<void> | null = null;
  private closePeer(): Promise<void> {
    this.peerClosing ??= this.pc
      .close()
      .catch((err: unknown) => this.log.debug({ err }, 'peer close failed'))
      .then(() => {
        this.weriftClosed = true;
      });
    return this.peerClosing;
  }

  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw webrtcError('WEBRTC_INVALID_STATE', 'no local description');
    return sdp;
  }

  private gathered(): Promise<void> {
    return new Promise((resolve) => {
      if (this.pc.iceGatheringState === 'complete') return resolve();
      const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe((s) => {
        if (s !== 'complete') return;
        unSubscribe();
        resolve();
      });
    });
  }
}
