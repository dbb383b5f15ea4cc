import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type pino from 'pino';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { AppServices } from '../calls/app/services.js';
import { apiError } from './api-errors.js';
import { authenticate } from './auth.js';
import { errorHandler } from './error-handler.js';
import { registerNotifications } from './notifications.js';
import { acceptEmptyJson, markOptionalBodies } from './optional-body.js';
import { adminRoutes } from './routes-admin.js';
import { callControlRoutes } from './routes-calls.js';
import { conversationRoutes } from './routes-conversations.js';
import { directoryRoutes } from './routes-directory.js';
import * as S from './schemas.js';

export interface BuildAppOptions {
  readonly services: AppServices;
  readonly logger: pino.Logger;
  /** SIP digest realm for provisioning (EARSHOT_SIP_HOST). */
  readonly sipRealm: string;
  /** Directory of the built console, served at `/` when it exists. */
  readonly webDist?: string;
  /** `/healthz` answers 200 only when this says everything started is up. */
  readonly healthy?: () => boolean;
  readonly bodyLimit?: number;
  /**
   * WebSocket upgrades on this path belong to the SIP transport attached to `app.server` (SIP over
   * WebSocket, RFC 7118); every other upgrade goes through Fastify (notifications).
   */
  readonly sipWsPath?: string;
}

/** The Fastify app: `/api/v2` routes, notifications, OpenAPI, `/healthz`, `/metrics`, the console. */
export async function buildApp(o: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger.child({ module: 'api' }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimit ?? 256 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;
  app.decorateRequest('principal', undefined);
  app.setErrorHandler(errorHandler);
  // JSON only: any other body is UNSUPPORTED_MEDIA_TYPE (415).
  app.removeContentTypeParser('text/plain');
  acceptEmptyJson(app);
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = new Histogram({
    name: 'earshot_http_request_duration_seconds',
    help: 'API request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    latency.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Earshot API',
        version: '2.0.0',
        description: 'Contact-center voice server: live call supervision.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (d) => ('openapiObject' in d ? markOptionalBodies(d.openapiObject) : d.swaggerObject),
    refResolver: {
      buildLocalReference: (json, _u, _f, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  // @fastify/websocket answers every upgrade it sees (404 for unknown paths), so it only sees the
  // upgrades that are not the SIP transport's.
  const apiUpgrades = new EventEmitter();
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (o.sipWsPath && (req.url ?? '').split('?')[0] === o.sipWsPath) return;
    apiUpgrades.emit('upgrade', req, socket, head);
  });
  await app.register(fastifyWebsocket, {
    options: { maxPayload: 64 * 1024, server: apiUpgrades as unknown as Server },
  });

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    if (o.healthy && !o.healthy()) return reply.status(503).send({ status: 'starting' });
    return { status: 'ok' };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });

  await app.register(
    async (api) => {
      api.withTypeProvider<TypeBoxTypeProvider>().post(
        '/auth/login',
        {
          schema: {
            tags: ['auth'],
            security: [],
            body: S.LoginBody,
            response: { 200: S.LoginReply, 400: S.ErrorBody, 401: S.ErrorBody, 429: S.ErrorBody },
          },
        },
        async (req) => o.services.auth.login(req.body.username, req.body.password, req.ip),
      );
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(async (authed) => {
        authed.addHook('onRequest', async (req) => authenticate(o.services.auth, req));
        await authed.register(directoryRoutes(o.services, o.sipRealm));
        await authed.register(conversationRoutes(o.services));
        await authed.register(callControlRoutes(o.services));
        await authed.register(adminRoutes(o.services));
      });
    },
    { prefix: '/api/v2' },
  );
  registerNotifications(app, o.services);

  if (o.webDist && existsSync(o.webDist)) {
    await app.register(fastifyStatic, { root: o.webDist, prefix: '/' });
  }
  void apiError;
  return app;
}
