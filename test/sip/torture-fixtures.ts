import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Loads the RFC 4475 torture messages of `test/fixtures/torture/` (one file per named test,
 * transcribed from the RFC's section 3 in its own notation) and decodes the RFC's conventions:
 * §2.1 `<allOneLine>` (the enclosed lines are one line), §2.2 `<hex>…</hex>` (bytes), §2.3
 * `<repeat count=N>…</repeat>`. Lines end with CRLF. `{CL}` (only in mpart01, whose binary
 * part is shortened) becomes the body length.
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
  for (const m of text.matchAll(/<hex>([0-9A-Fa-f]*)<\/hex>/g)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), Buffer.from(m[1] as string, 'hex'));
    last = (m.index ?? 0) + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  const buf = Buffer.concat(parts);
  const cl = buf.indexOf('{CL}');
  if (cl < 0) return buf;
  const bodyLength = buf.length - (buf.indexOf('\r\n\r\n') + 4);
  return Buffer.concat([buf.subarray(0, cl), Buffer.from(String(bodyLength)), buf.subarray(cl + 4)]);
}
