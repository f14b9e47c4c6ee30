import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * Maps every failure to `{ error: { code, message } }`. Validation and parse errors keep
 * Fastify's precise message (it names the field); unexpected errors are logged and answered
 * with a generic message — never a stack or a raw exception.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.status).send(errorBody(err.code, err.message));
    }
    if ('validation' in err && err.validation) {
      return reply.status(400).send(errorBody('PP_E_VALIDATION', err.message));
    }
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply
          .status(400)
          .send(errorBody('PP_E_BAD_JSON', `request body is not valid JSON: ${err.message}`));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.status(415).send(errorBody('PP_E_UNSUPPORTED_MEDIA', err.message));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.status(413).send(errorBody('PP_E_PAYLOAD_TOO_LARGE', err.message));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send(errorBody('PP_E_VALIDATION', err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('PP_E_INTERNAL', 'internal error; see the gateway log'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(errorBody('PP_E_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
