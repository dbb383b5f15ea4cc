import { splitList } from './grammar.js';
import { headerDisplayName, headerKey, LIST_HEADERS } from './header-names.js';
import { type NameAddr, parseNameAddr, serializeNameAddr } from './name-addr.js';
import type { ScanText } from './scan-text.js';
import { serializeUri, type Uri } from './sip-uri.js';
import { parseVia, serializeVia, type Via } from './via.js';

/** RFC 3261 §20.16: CSeq = "CSeq" HCOLON 1*DIGIT LWS Method */
export interface CSeq {
  seq: number;
  method: string;
}

/** Where a received message came from (set by the transport layer). */
export interface MessageSource {
  /** Lower-case transport name: udp, tcp, ws. */
  readonly transport: string;
  readonly address: string;
  readonly port: number;
  /** The connection it arrived on, for connection-oriented transports. */
  readonly connectionId: string | undefined;
}

const EMPTY = Buffer.alloc(0);

/**
 * What the parser left to build on first access (see parse-message.ts): the head as scanned text
 * (the string and its bytes side by side) with every header row that is not parsed eagerly as its
 * key and range `[a, z)` — a folded value (rare) was joined into a string of its own and its
 * range then reads `a = -1 - i` for `folded[i]` — and the body as `buf[bodyStart, bodyEnd)`.
 * The received Buffer must not be modified after parsing (the body was always a view of it).
 */
export class ParsedHead implements ScanText {
  /** Lower-case long names of the rows, in order. */
  readonly keys: string[] = [];
  /** `a, z` of each row of `keys`. */
  readonly ranges: number[] = [];
  folded: string[] | undefined = undefined;
  bodyStart = 0;
  bodyEnd = 0;

  constructor(
    readonly s: string,
    readonly b: Uint8Array,
    readonly o: number,
    readonly buf: Buffer,
  ) {}

  /** Stores a folded value; its range start. */
  fold(value: string): number {
    if (this.folded === undefined) this.folded = [];
    this.folded.push(value);
    return -this.folded.length;
  }

  /** Row `i`'s value. */
  value(i: number): string {
    const a = this.ranges[2 * i] as number;
    return a >= 0 ? this.s.slice(a, this.ranges[2 * i + 1]) : (this.folded?.[-1 - a] as string);
  }

  /** The header map of SipMessage.headers, rows in order. */
  headers(): Map<string, string[]> {
    const map = new Map<string, string[]>();
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const v = this.value(i);
      const rows = map.get(k);
      if (rows) rows.push(v);
      else map.set(k, [v]);
    }
    return map;
  }
}

/**
 * A SIP message (RFC 3261 §7). The headers every layer needs (Via, From, To, Call-ID, CSeq,
 * Max-Forwards) are parsed eagerly into fields that own their serialization; every other header
 * is kept as its raw field values (one per header row) and parsed on demand. Of a parsed message,
 * the header map and the body view are built on first access (`lazy`).
 */
export abstract class SipMessage {
  /** Via values, topmost first. */
  via: Via[] = [];
  from!: NameAddr;
  to!: NameAddr;
  callId = '';
  private _cseq: CSeq | undefined = undefined;
  maxForwards: number | undefined = undefined;
  private _body: Buffer | undefined = undefined;
  private _headers: Map<string, string[]> | undefined = undefined;
  /** Set on received messages. */
  source: MessageSource | undefined = undefined;
  /** @internal Set by the parser: what is built on first access. */
  lazy: ParsedHead | undefined = undefined;

  abstract startLine(): string;

  get cseq(): CSeq {
    if (this._cseq === undefined) this._cseq = { seq: 0, method: '' };
    return this._cseq;
  }

  set cseq(v: CSeq) {
    this._cseq = v;
  }

  get body(): Buffer {
    if (this._body === undefined) {
      const p = this.lazy;
      this._body =
        p !== undefined && p.bodyEnd > p.bodyStart ? p.buf.subarray(p.bodyStart, p.bodyEnd) : EMPTY;
    }
    return this._body;
  }

  set body(v: Buffer) {
    this._body = v;
  }

  /** Other headers: lower-case long name → raw field values, in order. */
  get headers(): Map<string, string[]> {
    if (this._headers === undefined)
      this._headers = this.lazy === undefined ? new Map() : this.lazy.headers();
    return this._headers;
  }

  get fromTag(): string | undefined {
    return this.from.params.get('tag') ?? undefined;
  }

  get toTag(): string | undefined {
    return this.to.params.get('tag') ?? undefined;
  }

  get topVia(): Via | undefined {
    return this.via[0];
  }

  get contentType(): string | undefined {
    const v = this.get('content-type');
    return v === undefined ? undefined : v.split(';')[0]?.trim().toLowerCase();
  }

  /** The body as UTF-8 text. */
  get bodyText(): string {
    return this.body.length ? this.body.toString('utf8') : '';
  }

  has(name: string): boolean {
    const k = headerKey(name);
    if (k === 'via') return this.via.length > 0;
    if (k === 'max-forwards') return this.maxForwards !== undefined;
    if (k === 'from' || k === 'to' || k === 'call-id' || k === 'cseq') return true;
    const p = this._headers === undefined ? this.lazy : undefined;
    return p === undefined ? this.headers.has(k) : p.keys.indexOf(k) >= 0;
  }

  /** The first field value of a header (for a list header, its whole first row). */
  get(name: string): string | undefined {
    const k = headerKey(name);
    switch (k) {
      case 'via':
        return this.via[0] ? serializeVia(this.via[0]) : undefined;
      case 'from':
        return serializeNameAddr(this.from);
      case 'to':
        return serializeNameAddr(this.to);
      case 'call-id':
        return this.callId;
      case 'cseq':
        return `${this.cseq.seq} ${this.cseq.method}`;
      case 'max-forwards':
        return this.maxForwards === undefined ? undefined : String(this.maxForwards);
      case 'content-length':
        return String(this.body.length);
      default: {
        // Before the map is built, a lookup reads the parsed rows.
        const p = this._headers === undefined ? this.lazy : undefined;
        if (p === undefined) return this.headers.get(k)?.[0];
        const i = p.keys.indexOf(k);
        return i < 0 ? undefined : p.value(i);
      }
    }
  }

  /** Every value of a header: list headers are split at their commas, others give one value per row. */
  getAll(name: string): string[] {
    const k = headerKey(name);
    if (k === 'via') return this.via.map(serializeVia);
    const rows = this.headers.get(k);
    if (!rows) {
      const one = this.get(k);
      return one === undefined ? [] : [one];
    }
    if (!LIST_HEADERS.has(k)) return [...rows];
    const out: string[] = [];
    for (const r of rows) for (const v of splitList(r)) out.push(v);
    return out;
  }

  /** Contact/Route/Record-Route… values parsed as name-addrs; invalid ones are skipped. */
  getNameAddrs(name: string): NameAddr[] {
    const out: NameAddr[] = [];
    for (const v of this.getAll(name)) {
      if (v === '*') continue;
      const r = parseNameAddr(v);
      if (r.ok) out.push(r.value);
    }
    return out;
  }

  /** Replaces a header. Eager headers are parsed (a TypeError for an invalid value: a programming error). */
  set(name: string, value: string | readonly string[]): this {
    const k = headerKey(name);
    const values = typeof value === 'string' ? [value] : [...value];
    switch (k) {
      case 'via':
        this.via = [];
        for (const row of values) for (const v of splitList(row)) this.via.push(mustVia(v));
        return this;
      case 'from':
      case 'to': {
        const r = parseNameAddr(values[0] ?? '');
        if (!r.ok) throw new TypeError(`invalid ${k}: ${r.reason}`);
        if (k === 'from') this.from = r.value;
        else this.to = r.value;
        return this;
      }
      case 'call-id':
        this.callId = values[0] ?? '';
        return this;
      case 'cseq': {
        const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(values[0] ?? '');
        if (!m) throw new TypeError('invalid CSeq');
        this.cseq = { seq: Number(m[1]), method: m[2] as string };
        return this;
      }
      case 'max-forwards':
        this.maxForwards = Number(values[0]);
        return this;
      case 'content-length':
        return this;
      default:
        if (values.length === 0) this.headers.delete(k);
        else this.headers.set(k, values);
        return this;
    }
  }

  /** Appends a header row (below existing rows of the same name). */
  add(name: string, value: string): this {
    const k = headerKey(name);
    if (k === 'via') {
      for (const v of splitList(value)) this.via.push(mustVia(v));
      return this;
    }
    const rows = this.headers.get(k);
    if (rows && LIST_HEADERS.has(k)) rows.push(value);
    else if (rows) rows.push(value);
    else this.set(k, value);
    return this;
  }

  remove(name: string): this {
    const k = headerKey(name);
    if (k === 'via') this.via = [];
    else if (k === 'max-forwards') this.maxForwards = undefined;
    else this.headers.delete(k);
    return this;
  }

  /** Sets the body (text is UTF-8 encoded) and, when given, the Content-Type. */
  setBody(body: string | Buffer, contentType?: string): this {
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (contentType) this.set('content-type', contentType);
    else if (this.body.length === 0) this.headers.delete('content-type');
    return this;
  }

  /** RFC 3261 §7: start-line, headers, CRLF, body; Content-Length computed from the body. */
  toString(): string {
    return this.headText() + this.bodyText;
  }

  toBuffer(): Buffer {
    const head = this.headText();
    if (this.body.length === 0) return Buffer.from(head, 'utf8');
    const len = Buffer.byteLength(head, 'utf8');
    const out = Buffer.allocUnsafe(len + this.body.length);
    out.write(head, 0, 'utf8');
    this.body.copy(out, len);
    return out;
  }

  private headText(): string {
    let s = `${this.startLine()}\r\n`;
    for (const v of this.via) s += `Via: ${serializeVia(v)}\r\n`;
    if (this.maxForwards !== undefined) s += `Max-Forwards: ${this.maxForwards}\r\n`;
    s += `To: ${serializeNameAddr(this.to)}\r\nFrom: ${serializeNameAddr(this.from)}\r\n`;
    s += `Call-ID: ${this.callId}\r\nCSeq: ${this.cseq.seq} ${this.cseq.method}\r\n`;
    for (const [k, rows] of this.headers) {
      const dn = headerDisplayName(k);
      for (const r of rows) s += `${dn}: ${r}\r\n`;
    }
    return `${s}Content-Length: ${this.body.length}\r\n\r\n`;
  }
}

function mustVia(v: string): Via {
  const r = parseVia(v);
  if (!r.ok) throw new TypeError(`invalid Via: ${r.reason}`);
  return r.value;
}

/** RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF */
export class SipRequest extends SipMessage {
  readonly isRequest = true as const;
  constructor(
    public method: string,
    public uri: Uri,
  ) {
    super();
  }

  startLine(): string {
    return `${this.method} ${serializeUri(this.uri)} SIP/2.0`;
  }
}

/** RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
export class SipResponse extends SipMessage {
  readonly isRequest = false as const;
  constructor(
    public status: number,
    public reason: string,
  ) {
    super();
  }

  startLine(): string {
    return `SIP/2.0 ${this.status} ${this.reason}`;
  }
}

export type AnySipMessage = SipRequest | SipResponse;
