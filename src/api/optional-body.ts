import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Routes whose body is optional (CONTRACT.md §4 shows `POST …/monitor|coach` with none) carry this
 * key in their schema. Without a body — none at all, or an empty one with `Content-Type:
 * application/json` — the handler sees `{}`; a body that is there is validated as usual.
 */
export const OPTIONAL_BODY = 'x-body-optional';

/** `preValidation` hook of such a route: an absent body becomes `{}` before validation. */
export async function defaultEmptyBody(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
}

/**
 * JSON bodies: Fastify's own parser (prototype-poisoning checks kept), except that an empty body is
 * "no body" (undefined) instead of an error, so optional-body routes accept it and required-body
 * routes refuse it through their schema (`VALIDATION_FAILED` either way).
 */
export function acceptEmptyJson(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body.length === 0) done(null, undefined);
    else json(req, body as string, done);
  });
}

interface OpenApiOperation {
  requestBody?: { required?: boolean };
  [OPTIONAL_BODY]?: boolean;
}

/** `@fastify/swagger` `transformObject`: optional-body routes get `requestBody.required: false`. */
export function markOptionalBodies<T>(doc: T): T {
  const paths = (doc as { paths?: Record<string, Record<string, OpenApiOperation>> }).paths ?? {};
  for (const ops of Object.values(paths)) {
    for (const op of Object.values(ops)) {
      if (!op || typeof op !== 'object' || !op[OPTIONAL_BODY]) continue;
      delete op[OPTIONAL_BODY];
      if (op.requestBody) op.requestBody.required = false;
    }
  }
  return doc;
}
