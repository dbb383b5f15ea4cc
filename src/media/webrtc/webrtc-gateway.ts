/**
 * The WebRTC gateway: makes browser phones look like ordinary RTP phones to the media engine.
 * Each endpoint terminates ICE + DTLS-SRTP toward one browser (werift) and relays plain RTP
 * (PCMU/PCMA, 20 ms) to and from one engine leg over a loopback UDP socket.
 *
 *   const gw = new WebRtcGateway({ host: '127.0.0.1', logger });
 *   const leg = await engine.createLeg({ id, group, codec: 'PCMU' });
 *   const ep = await gw.createEndpoint({ id, engineRtp: { address: '127.0.0.1', port: leg.port } });
 *   const answer = await ep.acceptOffer(browserOffer);            // or createOffer() + acceptAnswer()
 *   await engine.updateLeg(id, { remote: ep.rtp, codec: ep.codec! });
 */
import type { Clock } from '../../util/clock.js';
import type { MediaLogger } from '../media-types.js';
import { WebRtcEndpoint, type WebRtcEndpointDump, type WebRtcEndpointOptions } from './webrtc-endpoint.js';
import { webrtcError } from './webrtc-errors.js';

export interface WebRtcGatewayOptions {
  /** The media host (EARSHOT_MEDIA_HOST): the only ICE host candidate of every endpoint. */
  host: string;
  /** See `WebRtcEndpointOptions.allowRemoteAddress`. */
  allowRemoteAddress?: (address: string) => boolean;
  connectTimeoutMs?: number;
  clock?: Clock;
  logger?: MediaLogger;
}

export type CreateEndpointOptions = Pick<WebRtcEndpointOptions, 'id' | 'engineRtp' | 'relayHost'> &
  Partial<Pick<WebRtcEndpointOptions, 'host'>>;

export class WebRtcGateway {
  private readonly endpoints = new Map<string, WebRtcEndpoint>();
  private closed = false;

  constructor(private readonly options: WebRtcGatewayOptions) {}

  /** A new endpoint toward the engine leg `engineRtp`; it leaves the gateway when closed. */
  async createEndpoint(opts: CreateEndpointOptions): Promise<WebRtcEndpoint> {
    if (this.closed) throw webrtcError('WEBRTC_GATEWAY_CLOSED');
    if (this.endpoints.has(opts.id))
      throw webrtcError('WEBRTC_ENDPOINT_EXISTS', `endpoint ${opts.id} exists`);
    const full: WebRtcEndpointOptions = {
      ...opts,
      host: opts.host ?? this.options.host,
      onClose: (ep) => {
        if (this.endpoints.get(ep.id) === ep) this.endpoints.delete(ep.id);
      },
    };
    if (this.options.allowRemoteAddress) full.allowRemoteAddress = this.options.allowRemoteAddress;
    if (this.options.connectTimeoutMs !== undefined) full.connectTimeoutMs = this.options.connectTimeoutMs;
    if (this.options.clock) full.clock = this.options.clock;
    if (this.options.logger) full.logger = this.options.logger;
    const ep = await WebRtcEndpoint.create(full);
    if (this.closed || this.endpoints.has(opts.id)) {
      await ep.close();
      throw this.closed
        ? webrtcError('WEBRTC_GATEWAY_CLOSED')
        : webrtcError('WEBRTC_ENDPOINT_EXISTS', `endpoint ${opts.id} exists`);
    }
    this.endpoints.set(opts.id, ep);
    return ep;
  }

  get(id: string): WebRtcEndpoint | undefined {
    return this.endpoints.get(id);
  }

  dump(): { closed: boolean; endpoints: WebRtcEndpointDump[] } {
    return { closed: this.closed, endpoints: [...this.endpoints.values()].map((e) => e.dump()) };
  }

  /** Closes every endpoint. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.endpoints.values()].map((e) => e.close()));
  }
}
