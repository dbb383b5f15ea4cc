import { ascii, type ScanText } from './scan-text.js';

/**
 * Header field names. RFC 3261 §7.3.1: "Header field names are case-insensitive"; §7.3.3 and
 * §20 define compact forms. Internally a header is keyed by its lower-case long name.
 */
const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
};

const keyCache = new Map<string, string>();

/** The lower-case long-form key of a header name as written on the wire. */
export function headerKey(name: string): string {
  // The names of nearly every message, as most stacks spell them, without hashing.
  switch (name) {
    case 'Via':
      return 'via';
    case 'From':
      return 'from';
    case 'To':
      return 'to';
    case 'Call-ID':
      return 'call-id';
    case 'CSeq':
      return 'cseq';
    case 'Contact':
      return 'contact';
    case 'Max-Forwards':
      return 'max-forwards';
    case 'Content-Length':
      return 'content-length';
    case 'Content-Type':
      return 'content-type';
  }
  let k = keyCache.get(name);
  if (k !== undefined) return k;
  const lower = name.toLowerCase();
  k = COMPACT[lower] ?? lower;
  if (keyCache.size < 1024) keyCache.set(name, k);
  return k;
}

/** Long names interned by `headerKeyIn`: every name of a typical message, without slicing it. */
const INTERNED = [
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'max-forwards',
  'content-length',
  'content-type',
  'user-agent',
  'server',
  'allow',
  'supported',
  'require',
  'expires',
  'route',
  'record-route',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'subject',
  'date',
  'accept',
  'event',
  'allow-events',
  'min-expires',
  'session-expires',
  'min-se',
  'p-asserted-identity',
  'p-preferred-identity',
  'refer-to',
  'referred-by',
  'replaces',
  'call-info',
  'answer-mode',
  'priv-answer-mode',
  'alert-info',
  'reason',
  'privacy',
  'organization',
  'timestamp',
  'unsupported',
  'proxy-require',
  'content-encoding',
  'content-disposition',
  'accept-encoding',
  'accept-language',
  'mime-version',
  'rack',
  'rseq',
  'warning',
  'retry-after',
  'in-reply-to',
  'error-info',
  'reply-to',
  'priority',
  'path',
  'service-route',
  'subscription-state',
  'security-client',
  'security-server',
  'security-verify',
];
/**
 * The hash `headerKeyIn` is given: h = h * 31 + (byte | 0x20) over the name's bytes, in int32
 * arithmetic (the parser computes it while it scans the name).
 */
export function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + (name.charCodeAt(i) | 32)) | 0;
  return h;
}

/** Open addressing on the name hash: the slot holds the key and its bytes. */
const SLOTS = 256;
const SLOT_KEYS: (string | undefined)[] = new Array(SLOTS).fill(undefined);
const SLOT_BYTES: Uint8Array[] = new Array(SLOTS).fill(new Uint8Array(0));
for (const key of [...INTERNED, ...Object.keys(COMPACT)]) {
  let i = nameHash(key) & (SLOTS - 1);
  while (SLOT_KEYS[i] !== undefined) i = (i + 1) & (SLOTS - 1);
  SLOT_KEYS[i] = COMPACT[key] ?? key;
  SLOT_BYTES[i] = ascii(key);
}

/**
 * Whether the token at `b[p…]` equals the lower-case `lit` ignoring ASCII case. `c | 0x20` lowers
 * a letter and changes no other token character into a letter or '-' (the names' other bytes).
 */
function tokenEqualsLower(b: Uint8Array, p: number, lit: Uint8Array): boolean {
  for (let k = 0; k < lit.length; k++) if (((b[p + k] as number) | 32) !== lit[k]) return false;
  return true;
}

/** `headerKey` of the field-name (a token) at `[a, z)` of a scanned text, whose `nameHash` is `h`. */
export function headerKeyIn(t: ScanText, a: number, z: number, h: number): string {
  for (let i = h & (SLOTS - 1); ; i = (i + 1) & (SLOTS - 1)) {
    const key = SLOT_KEYS[i];
    if (key === undefined) break;
    const lit = SLOT_BYTES[i] as Uint8Array;
    if (lit.length === z - a && tokenEqualsLower(t.b, t.o + a, lit)) return key;
  }
  return headerKey(t.s.slice(a, z));
}

/** The conventional spelling of a header key for serialization (`call-id` → `Call-ID`). */
export function headerDisplayName(key: string): string {
  const c = CANONICAL[key];
  if (c) return c;
  return key.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase());
}

/**
 * Headers whose grammar is a comma-separated list (`#element`), so that RFC 3261 §7.3.1
 * applies: "Multiple header field rows with the same field-name MAY be present in a message if
 * and only if the entire field-value for that header field is defined as a comma-separated list".
 * Authorization-type headers are not lists despite their commas.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'alert-info',
  'allow',
  'allow-events',
  'call-info',
  'contact',
  'content-encoding',
  'content-language',
  'error-info',
  'in-reply-to',
  'path',
  'proxy-require',
  'reason',
  'record-route',
  'require',
  'route',
  'service-route',
  'supported',
  'unsupported',
  'via',
  'warning',
]);
