import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CataloguedError } from '../util/catalogued-error.js';
import { errorCatalogue } from './api-errors.js';

type Body = { error: { code: string; message: string } };

const body = (code: string, message: string): Body => ({ error: { code, message } });

/**
 * Every error leaves as `{"error":{"code","message"}}`: catalogued errors with their status;
 * Fastify's own (validation, body size, JSON syntax, media type) mapped to API codes; anything
 * else is a 500 `INTERNAL` that discloses nothing (the details go to the log).
 */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof CataloguedError) {
    void reply.status(err.http ?? 500).send(body(err.code, err.message));
    return;
  }
  if (err.validation) {
    void reply
      .status(400)
      .send(
        body(
          'VALIDATION_FAILED',
          `${err.validationContext ?? 'request'} ${err.validation[0]?.instancePath ?? ''} ${err.validation[0]?.message ?? 'is invalid'}`.replace(
            /\s+/g,
            ' ',
          ),
        ),
      );
    return;
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      void reply.status(413).send(body('PAYLOAD_TOO_LARGE', errorCatalogue.PAYLOAD_TOO_LARGE.description));
      return;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      void reply
        .status(415)
        .send(body('UNSUPPORTED_MEDIA_TYPE', errorCatalogue.UNSUPPORTED_MEDIA_TYPE.description));
      return;
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      void reply.status(400).send(body('VALIDATION_FAILED', 'the body is not valid JSON'));
      return;
  }
  if (err instanceof SyntaxError || err.statusCode === 400) {
    void reply.status(400).send(body('VALIDATION_FAILED', 'the request is malformed'));
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.status(500).send(body('INTERNAL', errorCatalogue.INTERNAL.description));
}
