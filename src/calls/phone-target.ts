import type { Phone } from '../center/index.js';
import type { LocationService } from '../sip/registrar/location-service.js';
import type { Destination, TransportName } from '../sip/transport/transport-types.js';

/** Where and how to INVITE a phone. */
export interface PhoneTarget {
  /** Request-URI. */
  readonly uri: string;
  /** The flow to use (the registration's source: NAT and TCP/WS connection reuse). */
  readonly destination?: Destination;
  /**
   * R8 / CONTRACT.md §3: `sip` and `webrtc` phones get the RFC 5373 auto-answer headers; a
   * `remote` number rings.
   */
  readonly autoAnswer: boolean;
  /** Digest credentials for a 401/407 challenge (calls through a trunk that authenticates us). */
  readonly credentials?: TrunkCredentials;
  /** The From user (a trunk's `callerId`); default `earshot`. */
  readonly fromUser?: string;
}

/** Digest credentials for a trunk: its `username`/`password` fields, else its outbound URI's userinfo. */
export interface TrunkCredentials {
  readonly username: string;
  readonly password: string;
}

/** A trunk's provisioned outbound fields beyond the URI (CONTRACT.md §2 `trunks[].outbound`). */
export interface TrunkOutboundFields {
  readonly outboundUsername?: string;
  readonly outboundPassword?: string;
  readonly callerId?: string;
}

export interface PhoneTargetContext {
  /** EARSHOT_SIP_HOST: the domain phones register under. */
  readonly host: string;
  readonly location: Pick<LocationService, 'lookup'>;
  /** The org's trunk outbound URI (`sip:127.0.0.1:5080`), for remote numbers. */
  readonly trunkOutboundUri: string | undefined;
  /** That trunk's credentials and caller ID fields, if provisioned. */
  readonly trunk?: TrunkOutboundFields;
}

/**
 * `sip:<number>@<trunk host:port;params>` (CONTRACT.md §3 "Remote numbers"). The outbound URI's
 * userinfo, if any, is dropped: the number is the Request-URI's user.
 */
export function numberViaTrunk(number: string, trunkOutboundUri: string): string {
  const m = /^(sips?):(?:[^@;>]*@)?(.*)$/i.exec(trunkOutboundUri.trim());
  if (!m) return `sip:${number}@${trunkOutboundUri}`;
  return `${m[1]!.toLowerCase()}:${number}@${m[2]}`;
}

/**
 * The digest credentials of a trunk that challenges our INVITEs (401/407): the user and password
 * of its outbound URI's userinfo, `sip:earshot:secret@pstn.example:5060` (RFC 3261 §19.1.1 URI
 * grammar; percent-escapes decoded). None without a password. They answer the challenge only;
 * they are never sent in a Request-URI or a header (RFC 3261 §19.1.1 discourages that).
 */
export function trunkCredentials(trunkOutboundUri: string): TrunkCredentials | undefined {
  const m = /^sips?:([^@;>:]*):([^@;>]*)@/i.exec(trunkOutboundUri.trim());
  if (!m) return undefined;
  try {
    return { username: decodeURIComponent(m[1]!), password: decodeURIComponent(m[2]!) };
  } catch {
    return undefined; // a malformed escape: no credentials rather than a wrong password
  }
}

/**
 * A number through the trunk: its Request-URI, no auto-answer (it rings), the trunk's credentials
 * (the `username`/`password` fields win over the URI's userinfo) and its caller ID as From user.
 */
export function trunkTarget(
  number: string,
  trunkOutboundUri: string,
  fields?: TrunkOutboundFields,
): PhoneTarget {
  const credentials =
    fields?.outboundUsername !== undefined && fields.outboundPassword !== undefined
      ? { username: fields.outboundUsername, password: fields.outboundPassword }
      : trunkCredentials(trunkOutboundUri);
  return {
    uri: numberViaTrunk(number, trunkOutboundUri),
    autoAnswer: false,
    ...(credentials ? { credentials } : {}),
    ...(fields?.callerId ? { fromUser: fields.callerId } : {}),
  };
}

/**
 * Resolves a phone to an INVITE target, or undefined when it cannot be reached (a `sip`/`webrtc`
 * phone with no current registration, a remote number without a trunk). `webrtc` phones register
 * like `sip` ones (SIP over WebSocket); their AOR user is `sipUser` when set, else the phone id.
 */
export function phoneTarget(
  phone: Pick<Phone, 'id' | 'kind' | 'sipUser' | 'number'>,
  ctx: PhoneTargetContext,
): PhoneTarget | undefined {
  if (phone.kind === 'remote') {
    if (!phone.number || !ctx.trunkOutboundUri) return undefined;
    return trunkTarget(phone.number, ctx.trunkOutboundUri, ctx.trunk);
  }
  const user = phone.sipUser ?? phone.id;
  // The registrar's AOR index: scheme, user and lower-cased host, no port (Registrar.aorOf).
  const bindings = ctx.location.lookup(`sip:${user}@${ctx.host.toLowerCase()}`);
  if (bindings.length === 0) return undefined;
  // RFC 3261 §16.6 style preference: highest q first, then the most recent registration.
  const best = [...bindings].sort((a, b) => b.q - a.q || b.expiresAt - a.expiresAt)[0]!;
  const src = best.source;
  const destination: Destination | undefined =
    src && (src.transport === 'udp' || src.transport === 'tcp' || src.transport === 'ws')
      ? {
          transport: src.transport as TransportName,
          address: src.address,
          port: src.port,
          connectionId: src.connectionId,
        }
      : undefined;
  return { uri: best.contact, ...(destination ? { destination } : {}), autoAnswer: true };
}
