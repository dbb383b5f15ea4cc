import type { MessageSource, SipRequest, SipResponse } from '../message/sip-message.js';
import type { SipParseError } from '../message/sip-parse-error.js';

export type TransportName = 'udp' | 'tcp' | 'ws';

/** Where to send a message: a transport, an address and, for streams, maybe a connection. */
export interface Destination {
  readonly transport: TransportName;
  readonly address: string;
  readonly port: number;
  /** Send on this connection when it is still open (RFC 3261 §18.2.2). */
  readonly connectionId?: string | undefined;
}

/** What a transport tells its owner (the transport layer). One owner, set at construction. */
export interface TransportDelegate {
  onMessage(message: SipRequest | SipResponse): void;
  /** A message that failed to parse; `raw` is what arrived. The owner answers 400/505 or drops it. */
  onParseError(error: SipParseError, source: MessageSource, raw: Buffer | undefined): void;
}

export interface Transport {
  readonly name: TransportName;
  /** RFC 3261 §17: reliable transports skip the retransmission timers. */
  readonly reliable: boolean;
  /** The local address and port this transport listens on (for Via and Contact). */
  readonly address: string;
  readonly port: number;
  /** Sends one message. Rejects with SIP_TRANSPORT_ERROR when it cannot. */
  send(destination: Destination, data: Buffer): Promise<void>;
  /** Whether a connection is still open (always true for UDP). */
  hasConnection(connectionId: string | undefined): boolean;
  close(): Promise<void>;
  dump(): Record<string, unknown>;
}

/** Transport options common to all transports. */
export interface TransportOptions {
  readonly host: string;
  readonly port: number;
  readonly maxMessageSize: number;
  readonly delegate: TransportDelegate;
}
