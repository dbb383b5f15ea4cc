import { type Logger, pino } from 'pino';
import type { Clock } from '../../util/clock.js';
import type { AuthErrorCode } from '../auth/auth-errors.js';
import type { DigestServer } from '../auth/digest-server.js';
import { parseNameAddr } from '../message/name-addr.js';
import type { SipRequest } from '../message/sip-message.js';
import { parseUri, type SipUri, serializeUri, unescapeUri, uriEquals } from '../message/sip-uri.js';
import type { BindingSource, ContactUpdate, LocationService } from './location-service.js';
import { type RegistrarErrorCode, registrarErrorCatalogue } from './registrar-errors.js';

/** What to answer a REGISTER with: status, reason and the headers the registrar adds (echoed ones aside). */
export interface RegistrarAnswer {
  readonly status: number;
  readonly reason: string;
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** Why it was refused (undefined for 200). For logs and metrics: never put it on the wire. */
  readonly code: RegistrarErrorCode | AuthErrorCode | undefined;
}

export interface RegistrarOptions {
  readonly clock: Clock;
  readonly location: LocationService;
  /** Digest authentication; without it the registrar accepts anyone (tests, trusted networks only). */
  readonly auth?: DigestServer;
  /** Is `host` (of the Request-URI and the AOR) a domain of ours? Default: every host. */
  readonly isLocalDomain?: (host: string) => boolean;
  /** May `username` (authenticated) change the bindings of the AOR whose user part is `aorUser`? Default: equal. */
  readonly authorize?: (username: string, aorUser: string, aor: string) => boolean;
  /** Seconds (defaults: min 60, max 3600, default 3600). */
  readonly minExpires?: number;
  readonly maxExpires?: number;
  readonly defaultExpires?: number;
  readonly logger?: Logger;
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  500: 'Server Internal Error',
};

const MAX_DELTA_SECONDS = 0xffffffff;

/**
 * A registrar (RFC 3261 §10.3): authenticates a REGISTER with digest, authorizes the user for the AOR,
 * then adds, refreshes or removes its contacts in the location service, atomically, and answers with
 * every current binding.
 */
export class Registrar {
  private readonly clock: Clock;
  readonly location: LocationService;
  private readonly auth: DigestServer | undefined;
  private readonly isLocalDomain: (host: string) => boolean;
  private readonly authorize: (username: string, aorUser: string, aor: string) => boolean;
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
  private readonly log: Logger;

  constructor(options: RegistrarOptions) {
    this.clock = options.clock;
    this.location = options.location;
    this.auth = options.auth;
    this.isLocalDomain = options.isLocalDomain ?? (() => true);
    this.authorize = options.authorize ?? ((username, aorUser) => username === aorUser);
    this.minExpires = options.minExpires ?? 60;
    this.maxExpires = options.maxExpires ?? 3600;
    this.defaultExpires = options.defaultExpires ?? 3600;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'sip.registrar' });
  }

  /**
   * The canonical AOR of a To URI: the index into the bindings.
   * RFC 3261 §10.3 step 5: "all URI parameters MUST be removed (including the user-param), and any escaped
   * characters MUST be converted to their unescaped form."
   * DEVIATION(rfc3261 §10.3): the port is dropped too: phones put the registrar's port in their AOR
   * (`sip:alice@host:5060`), yet are called as `sip:alice@host`.
   */
  static aorOf(uri: SipUri): string {
    const user = uri.user === undefined ? '' : `${unescapeUri(uri.user)}@`;
    return `${uri.scheme}:${user}${uri.host.toLowerCase()}`;
  }

  /** Never throws: any unexpected failure is answered 500 and logged. */
  async handle(request: SipRequest): Promise<RegistrarAnswer> {
    try {
      return await this.process(request);
    } catch (err) {
      this.log.error({ err, callId: request.callId }, 'REGISTER processing failed');
      return answer(500, [], undefined);
    }
  }

  private async process(request: SipRequest): Promise<RegistrarAnswer> {
    // RFC 3261 §10.3 step 1: "The registrar inspects the Request-URI to determine whether it has access to
    // bindings for the domain identified in the Request-URI."
    const ruri = request.uri;
    if (ruri.kind !== 'sip' || !this.isLocalDomain(ruri.host.toLowerCase())) {
      return refuse('SIP_REGISTRAR_NOT_OUR_DOMAIN');
    }
    // Step 2: "To guarantee that the registrar supports any necessary extensions, the registrar MUST
    // process the Require header field values as described for UASs in Section 8.2.2."
    const required = request
      .getAll('require')
      .map((r) => r.trim())
      .filter((r) => r.length > 0);
    if (required.length > 0)
      return refuse('SIP_REGISTRAR_BAD_EXTENSION', [['Unsupported', required.join(', ')]]);

    // Step 3: "A registrar SHOULD authenticate the UAC. Mechanisms for the authentication of SIP user agents
    // are described in Section 22."
    let username: string | undefined;
    if (this.auth) {
      const requestUri = serializeUri(ruri);
      const outcome = await this.auth.authenticate({
        method: request.method,
        requestUri,
        uriMatches: (digestUri) => {
          const parsed = parseUri(digestUri);
          return parsed.ok && uriEquals(parsed.uri, ruri);
        },
        credentials: request.getAll('authorization'),
        source: request.source?.address ?? '',
      });
      if (outcome.kind === 'challenge') {
        return answer(
          401,
          outcome.challenges.map((c) => ['WWW-Authenticate', c] as const),
          outcome.code,
        );
      }
      // Unknown user, wrong password and lockout: one answer, no headers (nothing to enumerate with).
      if (outcome.kind === 'rejected') return answer(403, [], outcome.code);
      username = outcome.username;
    }

    // Step 5: "The registrar extracts the address-of-record from the To header field of the request. If the
    // address-of-record is not valid for the domain in the Request-URI, the registrar MUST send a 404".
    const to = request.to.uri;
    if (to.kind !== 'sip' || to.user === undefined) return refuse('SIP_REGISTRAR_INVALID_REQUEST');
    if (!this.isLocalDomain(to.host.toLowerCase())) return refuse('SIP_REGISTRAR_NOT_OUR_DOMAIN');
    const aor = Registrar.aorOf(to);
    // Step 4: "The registrar SHOULD determine if the authenticated user is authorized to modify
    // registrations for this address-of-record. ... If the authenticated user is not authorized to modify
    // bindings, the registrar MUST return a 403 (Forbidden) and skip the remaining steps."
    if (username !== undefined && !this.authorize(username, unescapeUri(to.user), aor)) {
      return refuse('SIP_REGISTRAR_NOT_AUTHORIZED');
    }

    const contactValues = request.getAll('contact');
    const expiresHeader = parseDelta(request.get('expires'));
    const source: BindingSource | undefined = request.source && {
      transport: request.source.transport,
      address: request.source.address,
      port: request.source.port,
      connectionId: request.source.connectionId,
    };
    // Step 6: "If the request has an Expires header field with a value of zero ... and a Contact header
    // field value of "*", ... the registrar ... removes all bindings ... [otherwise] the request is invalid
    // and [the registrar] returns a 400 (Invalid Request)". ("*" is "not allowed with other Contact values".)
    if (contactValues.some((c) => c.trim() === '*')) {
      if (contactValues.length !== 1 || expiresHeader !== 0) return refuse('SIP_REGISTRAR_INVALID_REQUEST');
      return this.commit(aor, { kind: 'wildcard' }, request, source);
    }

    const contacts: ContactUpdate[] = [];
    for (const value of contactValues) {
      const parsed = parseNameAddr(value);
      if (!parsed.ok || parsed.value.uri.kind !== 'sip') return refuse('SIP_REGISTRAR_INVALID_REQUEST');
      const { uri, params } = parsed.value;
      // Step 7: "If the field value has an "expires" parameter, that value MUST be taken as the requested
      // expiration. If there is no such parameter, but the request has an Expires header field, that value
      // MUST be taken ... If there is neither, a locally-configured default value MUST be taken".
      const param = params.get('expires');
      const requested = parseDelta(param ?? undefined) ?? expiresHeader ?? this.defaultExpires;
      // §10.3: "the registrar MAY ... reject the registration with a 423 (Interval Too Brief) response if the
      // expiration is less than the minimum" / §20.23: the 423 "MUST contain a Min-Expires header field".
      if (requested > 0 && requested < this.minExpires) {
        return refuse('SIP_REGISTRAR_INTERVAL_TOO_BRIEF', [['Min-Expires', String(this.minExpires)]]);
      }
      // "Registrars MAY ... shorten the expiration interval" (RFC 3261 §10.2.1.1 note).
      const granted = Math.min(requested, this.maxExpires);
      const q = parseQ(params.get('q') ?? undefined);
      if (q === null) return refuse('SIP_REGISTRAR_INVALID_REQUEST');
      contacts.push({ contact: serializeUri(uri), key: contactKey(uri), expiresMs: granted * 1000, q });
    }
    if (contacts.length === 0) return this.ok(aor); // a query: "Contact" absent
    return this.commit(aor, { kind: 'contacts', contacts }, request, source);
  }

  private commit(
    aor: string,
    update: Parameters<LocationService['update']>[1],
    request: SipRequest,
    source: BindingSource | undefined,
  ): RegistrarAnswer {
    const result = this.location.update(aor, update, request.callId, request.cseq.seq, source);
    if (!result.ok) {
      return refuse(
        result.reason === 'out-of-order' ? 'SIP_REGISTRAR_OUT_OF_ORDER' : 'SIP_REGISTRAR_TOO_MANY_BINDINGS',
      );
    }
    this.log.debug({ aor, bindings: result.bindings.length }, 'bindings updated');
    return this.ok(aor);
  }

  /**
   * Step 8: "The registrar returns a 200 (OK) response. The response MUST contain Contact header field
   * values enumerating all current bindings. Each Contact value MUST feature an "expires" parameter
   * indicating its expiration interval chosen by the registrar. The response SHOULD include a Date header."
   */
  private ok(aor: string): RegistrarAnswer {
    const now = this.clock.now();
    const headers: Array<readonly [string, string]> = this.location
      .lookup(aor)
      .map(
        (b) =>
          [
            'Contact',
            `<${b.contact}>;expires=${Math.max(0, Math.ceil((b.expiresAt - now) / 1000))}`,
          ] as const,
      );
    headers.push(['Date', new Date(now).toUTCString()]);
    return answer(200, headers, undefined);
  }
}

function answer(
  status: number,
  headers: ReadonlyArray<readonly [string, string]>,
  code: RegistrarAnswer['code'],
): RegistrarAnswer {
  return { status, reason: REASONS[status] ?? 'Error', headers, code };
}

function refuse(
  code: RegistrarErrorCode,
  headers: ReadonlyArray<readonly [string, string]> = [],
): RegistrarAnswer {
  return answer(registrarErrorCatalogue[code].sip, headers, code);
}

/** delta-seconds (RFC 3261 §25.1: 1*DIGIT), capped; undefined when absent or malformed. */
function parseDelta(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v)) return undefined;
  return Math.min(Number(v), MAX_DELTA_SECONDS);
}

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); null when malformed. */
function parseQ(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value.trim())) return null;
  return Number(value);
}

/** A key equal for equal URIs (RFC 3261 §19.1.4, the parts that matter for contacts). */
export function contactKey(uri: SipUri): string {
  const user = uri.user === undefined ? '' : unescapeUri(uri.user);
  const transport = uri.params.get('transport')?.toLowerCase() ?? '';
  const maddr = uri.params.get('maddr')?.toLowerCase() ?? '';
  return `${uri.scheme}:${user}@${uri.host.toLowerCase()}:${uri.port ?? ''};${transport};${maddr}`;
}
