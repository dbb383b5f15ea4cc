import { type Catalogue, errorFactory } from '../../util/catalogued-error.js';

/**
 * Errors of the application services (auth, provisioning, lookups). They reach API callers, so
 * `src/api/api-errors.ts` re-exports them in the API catalogue (documented under `## API`).
 */
export const appErrorCatalogue = {
  UNAUTHENTICATED: {
    http: 401,
    description: 'Missing, unknown or expired access token, or wrong username/password.',
  },
  NOT_FOUND: { http: 404, description: 'No such object, or it belongs to another organization.' },
  VALIDATION_FAILED: { http: 400, description: 'The request body or parameters are malformed.' },
  RATE_LIMITED: {
    http: 429,
    description: 'Too many failed logins for this username or address; retry later.',
  },
  PROVISIONING_INVALID: {
    http: 400,
    description: 'The provisioning document is invalid (file, path, problem).',
  },
} as const satisfies Catalogue;

export type AppErrorCode = keyof typeof appErrorCatalogue;
export const appError = errorFactory(appErrorCatalogue);
