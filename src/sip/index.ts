/**
 * Earshot's SIP stack (RFC 3261 and friends): the public API. See docs/sip.md.
 */

export type { DigestClientCredentials as DigestCredentials } from './auth/digest-client.js';
export { Dialog, type DialogEvents, DialogState, type InDialogResponder } from './dialog/dialog.js';
export { type NameAddr, parseNameAddr, serializeNameAddr } from './message/name-addr.js';
export { parseMessage } from './message/parse-message.js';
export { type CSeq, type MessageSource, SipMessage, SipRequest, SipResponse } from './message/sip-message.js';
export { SipParseError } from './message/sip-parse-error.js';
export { parseUri, type SipUri, serializeUri, type Uri, uriEquals } from './message/sip-uri.js';
export { parseVia, type Via } from './message/via.js';
export { errorCatalogue as sipErrorCatalogue, type SipErrorCode, sipError } from './sip-errors.js';
export { DEFAULT_TIMERS, type SipTimerConfig, SipTimers } from './transaction/sip-timers.js';
export type { Destination, TransportName } from './transport/transport-types.js';
export { IncomingInvite, IncomingInviteState } from './ua/incoming-invite.js';
export type { InviteOptions, InviteResult } from './ua/outgoing-invite.js';
export { type ResponseOptions, ServerResponder } from './ua/server-responder.js';
export {
  type InviteHandler,
  type Middleware,
  type Next,
  type RequestOptions,
  SipUserAgent,
  type SipUserAgentOptions,
} from './ua/sip-user-agent.js';
