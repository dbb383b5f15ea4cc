/**
 * Parsing and formatting of digest challenge and credentials header values
 * (WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization).
 *
 * RFC 3261 §25.1: "challenge = ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge"
 * "credentials = ("Digest" LWS digest-response) / other-response"
 * "auth-param = auth-param-name EQUAL ( token / quoted-string )"
 */
export interface DigestParams {
  /** The scheme, e.g. `Digest` (as sent). */
  readonly scheme: string;
  /** Parameter names lowercased; quoted values unquoted and unescaped. */
  readonly params: ReadonlyMap<string, string>;
}

const MAX_HEADER_LENGTH = 4096;

/** Parses `Scheme name=value, name="quoted", ...`; returns undefined when malformed. */
export function parseDigestParams(header: string): DigestParams | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  const s = header.trim();
  const sp = s.search(/\s/);
  const scheme = sp < 0 ? s : s.slice(0, sp);
  if (!/^[A-Za-z0-9!%'*+._`~-]+$/.test(scheme)) return undefined;
  const params = new Map<string, string>();
  let i = sp < 0 ? s.length : sp;
  const n = s.length;
  for (;;) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && /[A-Za-z0-9!%'*+._`~-]/.test(s[i] as string)) i++;
    const name = s.slice(nameStart, i).toLowerCase();
    if (name.length === 0) return undefined;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    if (s[i] !== '=') return undefined;
    i++;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let value: string;
    if (s[i] === '"') {
      i++;
      let out = '';
      let closed = false;
      while (i < n) {
        const c = s[i] as string;
        if (c === '\\' && i + 1 < n) {
          out += s[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return undefined;
      value = out;
    } else {
      const vStart = i;
      while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
      value = s.slice(vStart, i);
    }
    if (params.has(name)) return undefined; // RFC 7616 §3.4: each parameter at most once
    params.set(name, value);
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i < n && s[i] !== ',') return undefined;
  }
  return { scheme, params };
}

/** A quoted-string with `"` and `\` escaped (RFC 3261 §25.1 quoted-pair). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Formats `Digest a="x", b=y` from ordered entries; `quoted` says per entry whether to quote. */
export function formatDigestParams(entries: ReadonlyArray<readonly [string, string, boolean]>): string {
  return `Digest ${entries.map(([k, v, q]) => `${k}=${q ? quote(v) : v}`).join(', ')}`;
}
