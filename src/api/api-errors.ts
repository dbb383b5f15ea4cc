import { appErrorCatalogue } from '../calls/app/app-errors.js';
import { type Catalogue, errorFactory } from '../util/catalogued-error.js';

/**
 * The API's error catalogue: the application services' codes (auth, lookups, provisioning) plus
 * the transport-level ones. Domain codes (`src/center/center-errors.ts`) map to their own status.
 */
export const errorCatalogue = {
  ...appErrorCatalogue,
  PAYLOAD_TOO_LARGE: { http: 413, description: 'The request body exceeds the size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, description: 'The request body is not JSON.' },
  INTERNAL: { http: 500, description: 'An unexpected error; nothing about it is disclosed.' },
} as const satisfies Catalogue;

export type ApiErrorCode = keyof typeof errorCatalogue;
export const apiError = errorFactory(errorCatalogue);
