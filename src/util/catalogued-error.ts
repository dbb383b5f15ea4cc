/**
 * Errors come from one catalogue per layer, with stable machine-readable codes
 * (CONVENTIONS.md habit 7). Each entry maps to an HTTP status and/or a SIP status.
 * `docs/errors.md` lists exactly the codes of every catalogue (test/errors-doc.test.ts).
 */
export interface CatalogueEntry {
  /** HTTP status the API answers with, when the error reaches an API caller. */
  readonly http?: number;
  /** SIP status code, when the error is answered on a SIP transaction. */
  readonly sip?: number;
  /** One sentence: what happened, for humans. */
  readonly description: string;
}

export type Catalogue = Readonly<Record<string, CatalogueEntry>>;

/** An error carrying a stable code from a catalogue. */
export class CataloguedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly http: number | undefined;
  readonly sip: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: Code,
    entry: CatalogueEntry,
    message?: string,
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(message ?? entry.description);
    this.name = 'CataloguedError';
    this.code = code;
    this.http = entry.http;
    this.sip = entry.sip;
    this.details = details;
  }
}

/** Builds a typed error factory for one catalogue. */
export function errorFactory<C extends Catalogue>(catalogue: C) {
  return (code: keyof C & string, message?: string, details?: Readonly<Record<string, unknown>>) =>
    new CataloguedError(code, catalogue[code] as CatalogueEntry, message, details);
}
