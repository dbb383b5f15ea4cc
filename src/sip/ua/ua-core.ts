import type { Logger } from 'pino';
import type { Clock } from '../../util/clock.js';
import type { Dialog, DialogCore } from '../dialog/dialog.js';
import type { NameAddr } from '../message/name-addr.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/sip-message.js';
import type { SipTimers } from '../transaction/sip-timers.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { TransportLayer } from '../transport/transport-layer.js';
import type { Destination, TransportName } from '../transport/transport-types.js';

/**
 * What the UAS and UAC helpers need from the UA core (implemented by SipUserAgent). Kept apart
 * so the helpers do not import the user agent (no import cycles).
 */
export interface UaCore {
  readonly clock: Clock;
  readonly timers: SipTimers;
  readonly log: Logger;
  readonly transactions: TransactionLayer;
  readonly transport: TransportLayer;
  readonly dialogCore: DialogCore;
  /** Our Contact for a transport. */
  contactFor(transport: TransportName): NameAddr;
  addDialog(dialog: Dialog): void;
  /** Adds Allow, Supported and User-Agent/Server. */
  decorate(message: SipMessage): void;
  /** Keeps the ACK of a 2xx for 64*T1 so that 2xx retransmissions are re-acknowledged (§13.2.2.4). */
  rememberAck(response: SipResponse, ack: SipRequest, destination: Destination): void;
  /** A From for requests when the caller gives none. */
  defaultFrom(): NameAddr;
}

/** Methods this UA core understands (RFC 3261 §8.2.1: others are answered 501). */
export const KNOWN_METHODS = [
  'INVITE',
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'UPDATE',
  'REFER',
  'NOTIFY',
  'SUBSCRIBE',
  'MESSAGE',
  'PRACK',
  'PUBLISH',
] as const;

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE';
