import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Catalogue } from '../src/util/catalogued-error.js';

const root = join(import.meta.dirname, '..');

/** Every layer's catalogue: `src/<layer>/<layer>-errors.ts` exporting `errorCatalogue`. */
async function loadCatalogues(): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const layer of readdirSync(join(root, 'src'), { withFileTypes: true })) {
    if (!layer.isDirectory()) continue;
    const file = join(root, 'src', layer.name, `${layer.name}-errors.ts`);
    let mod: { errorCatalogue?: Catalogue };
    try {
      readFileSync(file);
    } catch {
      continue;
    }
    mod = (await import(pathToFileURL(file).href)) as { errorCatalogue?: Catalogue };
    expect(mod.errorCatalogue, `${file} exports errorCatalogue`).toBeDefined();
    for (const code of Object.keys(mod.errorCatalogue ?? {})) {
      expect(codes.has(code), `code ${code} is defined in two catalogues`).toBe(false);
      codes.set(code, layer.name);
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
