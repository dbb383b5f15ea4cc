import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Catalogue } from '../src/util/catalogued-error.js';

const root = join(import.meta.dirname, '..');

/**
 * Every catalogue in code: each file under src/ named `<name>-errors.ts`, and each of its exports named `errorCatalogue`
 * or `…Catalogue`. A catalogue may re-export another's entries (the same entry object); a code defined
 * twice with different entries is an error.
 */
async function loadCatalogues(): Promise<Map<string, unknown>> {
  const codes = new Map<string, unknown>();
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('-errors.ts'))
    .sort();
  expect(files.length).toBeGreaterThan(0);
  for (const rel of files) {
    const mod = (await import(pathToFileURL(join(root, 'src', rel)).href)) as Record<string, unknown>;
    const catalogues = Object.entries(mod).filter(([name]) => /Catalogue$/i.test(name));
    expect(catalogues.length, `${rel} exports a catalogue`).toBeGreaterThan(0);
    for (const [, catalogue] of catalogues) {
      for (const [code, entry] of Object.entries(catalogue as Catalogue)) {
        const seen = codes.get(code);
        expect(seen === undefined || seen === entry, `code ${code} is defined in two catalogues`).toBe(true);
        codes.set(code, entry);
      }
    }
  }
  return codes;
}

function documentedCodes(): string[] {
  const text = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const codes: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/.exec(line);
    if (m?.[1]) codes.push(m[1]);
  }
  return codes;
}

describe('docs/errors.md', () => {
  it('lists exactly the codes of the error catalogues, each once', async () => {
    const inCode = [...(await loadCatalogues()).keys()].sort();
    const inDocs = documentedCodes();
    expect(new Set(inDocs).size).toBe(inDocs.length);
    expect([...inDocs].sort()).toEqual(inCode);
    expect(inCode.length).toBeGreaterThan(0);
  });
});
