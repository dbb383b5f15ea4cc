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
