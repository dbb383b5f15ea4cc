import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { issuePhoneCredentials } from '../calls/app/phone-credentials.js';
import { can } from '../calls/app/principal.js';
import { applyProvisioning, validateProvisioning } from '../calls/app/provisioning.js';
import type { AppServices } from '../calls/app/services.js';
import { centerError, PERMISSIONS, type Presence, permissionsForRoles } from '../center/index.js';
import { listAudit } from '../store/audit.repository.js';
import { findOrg } from '../store/org.repository.js';
import { findPhoneOfUser } from '../store/phone.repository.js';
import { findQueue, listQueueMembers, listQueues } from '../store/queue.repository.js';
import { findUser } from '../store/user.repository.js';
import { apiError } from './api-errors.js';
import { requirePermission, who } from './auth.js';
import * as S from './schemas.js';

const errors = { 400: S.ErrorBody, 401: S.ErrorBody, 403: S.ErrorBody, 404: S.ErrorBody };

/** Users, presence, routing status, queues, audit and provisioning. */
export function directoryRoutes(svc: AppServices, sipRealm: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    const iso = () => new Date(svc.clock.now()).toISOString();

    app.get(
      '/users/me',
      { schema: { tags: ['users'], response: { 200: S.UserBody, ...errors } } },
      async (req) => {
        const p = who(req);
        const u = await findUser(svc.db, p.orgId, p.userId);
        if (!u) throw apiError('UNAUTHENTICATED', 'the caller no longer exists');
        const phone = await findPhoneOfUser(svc.db, p.orgId, p.userId);
        return {
          id: u.id,
          username: u.username,
          name: u.name,
          presence: u.presence,
          routingStatus: u.routingStatus,
          roles: [...u.roles],
          permissions: permissionsForRoles(u.roles),
          ...(phone ? { selectedPhone: { id: phone.id, kind: phone.kind } } : {}),
          phone: phone
            ? {
                kind: phone.kind,
                ...(phone.sipUser ? { sipUser: phone.sipUser } : {}),
                ...(phone.number ? { number: phone.number } : {}),
              }
            : null,
        };
      },
    );

    app.get(
      '/users/me/phone/credentials',
      {
        schema: { tags: ['users'], querystring: S.NoQuery, response: { 200: S.PhoneCredentials, ...errors } },
      },
      async (req, reply) => {
        const p = who(req);
        // Secrets: never cached by the browser or a proxy.
        void reply.header('cache-control', 'no-store');
        return issuePhoneCredentials(svc.db, p.orgId, p.userId, sipRealm);
      },
    );

    app.put(
      '/users/:userId/presence',
      {
        schema: {
          tags: ['users'],
          params: S.IdParam(['userId']),
          body: S.PresenceBody,
          response: { 200: S.PresenceReply, ...errors },
        },
      },
      async (req) => {
        const p = who(req);
        const { userId } = req.params as { userId: string };
        if (userId !== p.userId) requirePermission(p, PERMISSIONS.provision);
        if (!(await svc.users.setPresence(p.orgId, userId, (req.body as { presence: Presence }).presence)))
          throw apiError('NOT_FOUND', `no user ${userId}`);
        return { id: userId, presence: (req.body as { presence: Presence }).presence };
      },
    );

    app.put(
      '/users/:userId/routingstatus',
      {
        schema: {
          tags: ['users'],
          params: S.IdParam(['userId']),
          body: S.RoutingStatusBody,
          response: { 200: S.RoutingStatusReply, ...errors },
        },
      },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.goOnQueue);
        const { userId } = req.params as { userId: string };
        if (userId !== p.userId) requirePermission(p, PERMISSIONS.provision);
        if (!(await svc.users.setRoutingStatus(p.orgId, userId, req.body.status)))
          throw apiError('NOT_FOUND', `no user ${userId}`);
        return { id: userId, status: req.body.status };
      },
    );

    app.get(
      '/routing/queues',
      { schema: { tags: ['routing'], response: { 200: S.QueueList, ...errors } } },
      async (req) => {
        const p = who(req);
        // Any role: agents pick a queue to transfer to, supervisors filter by queue.
        if (![PERMISSIONS.takeCalls, PERMISSIONS.analyticsView, PERMISSIONS.provision].some((x) => can(p, x)))
          throw centerError('PERMISSION_DENIED', 'requires a role');
        return {
          entities: (await listQueues(svc.db, p.orgId)).map((q) => ({
            id: q.id,
            name: q.name,
            number: q.number,
          })),
        };
      },
    );

    app.get(
      '/routing/queues/:queueId/members',
      {
        schema: {
          tags: ['routing'],
          params: S.IdParam(['queueId']),
          response: { 200: S.MemberList, ...errors },
        },
      },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.analyticsView);
        const { queueId } = req.params as { queueId: string };
        const q = await findQueue(svc.db, p.orgId, queueId);
        if (!q) throw apiError('NOT_FOUND', `no queue ${queueId}`);
        const entities = [];
        for (const m of await listQueueMembers(svc.db, q.id)) {
          const u = await findUser(svc.db, p.orgId, m.userId);
          if (u)
            entities.push({ id: u.id, name: u.name, presence: u.presence, routingStatus: u.routingStatus });
        }
        return { entities };
      },
    );

    app.get(
      '/audit/supervision',
      { schema: { tags: ['admin'], response: { 200: S.AuditList, ...errors } } },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.provision);
        return { entities: (await listAudit(svc.db, p.orgId, 500)).map(({ orgId: _o, ...r }) => r) };
      },
    );

    app.post(
      '/admin/provisioning',
      {
        schema: {
          tags: ['admin'],
          body: S.ProvisionBodySchema,
          response: { 200: S.ProvisionReply, ...errors },
        },
      },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.provision);
        const doc = validateProvisioning(req.body, 'body');
        const org = await findOrg(svc.db, p.orgId);
        // Object level: an admin provisions their own organization only.
        if (org?.name !== doc.org.name)
          throw centerError('PERMISSION_DENIED', 'an admin provisions their own organization only');
        return applyProvisioning(svc.db, doc, sipRealm, iso());
      },
    );
  };
}
