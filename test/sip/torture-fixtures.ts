import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Loads the RFC 4475 torture messages of `test/fixtures/torture/` (one file per named test,
 * transcribed from the RFC's section 3 in its own notation) and decodes the RFC's conventions:
 * §2.1 `<allOneLine>` (the enclosed lines are one line), §2.2 `<hex>…</hex>` (bytes), §2.3
 * `<repeat count=N>…</repeat>`. Lines end with CRLF. A `<hex>` block may be wrapped over several
 * lines (mpart01's binary part): whitespace inside it is not part of the bytes. Every line break
 * outside those blocks is a CRLF, so a file's trailing empty line is significant (mcl01, multi01
 * and dblreq end their bodies with an empty line; baddn has no empty line after its headers).
 * Each decoded fixture is byte-for-byte the RFC's archived message (Appendix A); the test pins
 * their SHA-256 digests.
 */
export const TORTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'torture');

export function tortureNames(): string[] {
  return readdirSync(TORTURE_DIR)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export function loadTorture(name: string): Buffer {
  let text = readFileSync(join(TORTURE_DIR, `${name}.txt`), 'utf8');
  text = text.replace(/<allOneLine>\n([\s\S]*?)\n<\/allOneLine>/g, (_m, inner: string) =>
    inner.replace(/\n/g, ''),
  );
  text = text.replace(/<repeat count=(\d+)>([\s\S]*?)<\/repeat>/g, (_m, n: string, s: string) =>
    s.repeat(Number(n)),
  );
  text = text.replace(/\n/g, '\r\n');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(/<hex>([0-9A-Fa-f\s]*)<\/hex>/g)) {
    const hex = (m[1] as string).replace(/\s+/g, '');
    if (hex.length % 2 !== 0) throw new Error(`${name}: odd number of hex digits in <hex>`);
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), Buffer.from(hex, 'hex'));
    last = (m.index ?? 0) + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}
