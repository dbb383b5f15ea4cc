import { CataloguedError } from '../../util/catalogued-error.js';
import { errorCatalogue } from '../sip-errors.js';

type ParseCode = 'SIP_PARSE_ERROR' | 'SIP_VERSION_NOT_SUPPORTED' | 'SIP_MESSAGE_TOO_LARGE';

/**
 * What the parser saw before it failed: enough for a UAS to answer a malformed request
 * (RFC 3261 §8.2.6.2 copies Via, From, To, Call-ID and CSeq), or to decide to drop it.
 */
export interface PartialMessage {
  readonly isRequest: boolean;
  readonly method: string | undefined;
  /** Raw header rows seen so far: lower-case long name → values as written. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

/** The one error the parser throws: a catalogued code, the SIP status to answer, and a reason. */
export class SipParseError extends CataloguedError<ParseCode> {
  readonly reason: string;
  private partialValue: PartialMessage | (() => PartialMessage) | undefined;

  /** `partial` may be a function: it is then computed only when asked for (errors are common under attack). */
  constructor(code: ParseCode, reason: string, partial?: PartialMessage | (() => PartialMessage)) {
    super(code, errorCatalogue[code], `${errorCatalogue[code].description} ${reason}`, { reason });
    this.name = 'SipParseError';
    this.reason = reason;
    this.partialValue = partial;
  }

  get partial(): PartialMessage | undefined {
    if (typeof this.partialValue === 'function') this.partialValue = this.partialValue();
    return this.partialValue;
  }

  /** The status a UAS answers a request with (400, 505 or 513). */
  get status(): number {
    return this.sip ?? 400;
  }
}
