import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../calls/app/services.js';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../center/index.js';
import { listPhones } from '../store/phone.repository.js';
import { listTrunks } from '../store/trunk.repository.js';
import { listUsers } from '../store/user.repository.js';
import { requirePermission, who } from './auth.js';
import * as S from './schemas.js';

const errors = { 400: S.ErrorBody, 401: S.ErrorBody, 403: S.ErrorBody };

/** A trunk URI without its userinfo password (`sip:user:secret@host` → `sip:user@host`). */
export function withoutPassword(uri: string): string {
  return uri.replace(/^(sips?:[^@;>:]*):[^@;>]*@/i, '$1@');
}

/** The console's read-only admin lists (`{"entities":[…]}`), for holders of `admin:provision`. */
export function adminRoutes(svc: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/users',
      { schema: { tags: ['admin'], querystring: S.NoQuery, response: { 200: S.UserList, ...errors } } },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.provision);
        const phones = new Map((await listPhones(svc.db, p.orgId)).map((ph) => [ph.userId, ph]));
        return {
          entities: (await listUsers(svc.db, p.orgId)).map((u) => {
            const ph = phones.get(u.id);
            return {
              id: u.id,
              username: u.username,
              name: u.name,
              presence: u.presence,
              routingStatus: u.routingStatus,
              roles: [...u.roles],
              ...(ph ? { phone: { id: ph.id, kind: ph.kind } } : {}),
            };
          }),
        };
      },
    );

    app.get(
      '/authorization/roles',
      { schema: { tags: ['admin'], querystring: S.NoQuery, response: { 200: S.RoleList, ...errors } } },
      async (req) => {
        requirePermission(who(req), PERMISSIONS.provision);
        return {
          entities: Object.entries(ROLE_PERMISSIONS).map(([name, permissions]) => ({
            id: name,
            name,
            permissions: [...permissions],
          })),
        };
      },
    );

    app.get(
      '/telephony/phones',
      { schema: { tags: ['admin'], querystring: S.NoQuery, response: { 200: S.PhoneList, ...errors } } },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.provision);
        return {
          entities: (await listPhones(svc.db, p.orgId)).map((ph) => ({
            id: ph.id,
            userId: ph.userId,
            kind: ph.kind,
            ...(ph.sipUser ? { sipUser: ph.sipUser } : {}),
            ...(ph.number ? { number: ph.number } : {}),
          })),
        };
      },
    );

    app.get(
      '/telephony/trunks',
      { schema: { tags: ['admin'], querystring: S.NoQuery, response: { 200: S.TrunkList, ...errors } } },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.provision);
        return {
          entities: (await listTrunks(svc.db, p.orgId)).map((t) => ({
            id: t.id,
            name: t.name,
            inboundAllow: [...t.inboundAllow],
            ...(t.outboundUri
              ? {
                  outbound: {
                    uri: withoutPassword(t.outboundUri),
                    ...(t.outboundUsername ? { username: t.outboundUsername } : {}),
                    ...(t.callerId ? { callerId: t.callerId } : {}),
                    hasPassword:
                      t.outboundPassword !== undefined || withoutPassword(t.outboundUri) !== t.outboundUri,
                  },
                }
              : {}),
          })),
        };
      },
    );
  };
}
