import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { agentScoped } from '../calls/app/conversation-view.js';
import { can, type Principal } from '../calls/app/principal.js';
import type { AppServices } from '../calls/app/services.js';
import {
  type ConversationCommand,
  centerError,
  PERMISSIONS,
  SESSION_EVENT_TYPES,
  type TransferTarget,
} from '../center/index.js';
import { listTimeline } from '../store/conversation.repository.js';
import type { ConversationView } from '../store/conversation-types.js';
import { findQueue } from '../store/queue.repository.js';
import { findUser } from '../store/user.repository.js';
import { apiError } from './api-errors.js';
import { requirePermission, who } from './auth.js';
import { defaultEmptyBody, OPTIONAL_BODY } from './optional-body.js';
import * as S from './schemas.js';

const errors = { 400: S.ErrorBody, 401: S.ErrorBody, 403: S.ErrorBody, 404: S.ErrorBody, 409: S.ErrorBody };
type CP = { conversationId: string; participantId: string };

const JSON_UTF8 = 'application/json; charset=utf-8';
const LIST_OPEN = Buffer.from('{"entities":[');
const COMMA = Buffer.from(',');

/** A string as UTF-8 in a buffer of its own (not a slice of the shared pool that a cache would pin). */
function utf8(s: string): Buffer {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(s));
  b.write(s);
  return b;
}

const isAgentIn = (c: ConversationView, userId: string) =>
  c.participants.some((x) => x.purpose === 'agent' && x.userId === userId);

/** Supervisors see the full view (R10); an agent sees conversations they take part in, scoped (R9). */
export function viewFor(p: Principal, c: ConversationView): ConversationView | undefined {
  if (can(p, PERMISSIONS.analyticsView)) return c;
  if (isAgentIn(c, p.userId)) return agentScoped(c);
  return undefined;
}

/** The answer shape of a conversation (no org id). */
export const strip = ({ orgId: _o, ...c }: ConversationView) => ({ ...c, participants: [...c.participants] });

/** The conversation as `p` may see it: another org's or an unknown id is NOT_FOUND, no view 403. */
export async function visibleConversation(
  svc: AppServices,
  p: Principal,
  conversationId: string,
): Promise<ConversationView> {
  const c = await svc.conversations.get(p.orgId, conversationId);
  if (!c) throw apiError('NOT_FOUND', `no conversation ${conversationId}`);
  const v = viewFor(p, c);
  if (!v) throw centerError('PERMISSION_DENIED', 'you do not take part in this conversation');
  return v;
}

export function conversationRoutes(svc: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const visible = (p: Principal, conversationId: string) => visibleConversation(svc, p, conversationId);

    /**
     * The list's conversations as serialized by the route's response schema (`S.Conversation`),
     * UTF-8, by view object, one map per scope. A view is immutable (a change replaces it), so an
     * entry stays right for as long as its view is alive, and goes with it.
     */
    const serialized = {
      full: new WeakMap<ConversationView, Buffer>(),
      agent: new WeakMap<ConversationView, Buffer>(),
    };

    app.get(
      '/conversations/calls',
      {
        schema: {
          tags: ['conversations'],
          querystring: S.ListQuery,
          response: { 200: S.ConversationList, ...errors },
        },
      },
      async (req, reply) => {
        const p = who(req);
        const pageSize = Number(req.query.pageSize ?? 25);
        const pageNumber = Number(req.query.pageNumber ?? 1);
        const from = (pageNumber - 1) * pageSize;
        // viewFor, decided once per request: supervisors see every conversation whole (R10),
        // others the ones they are an agent in, agent-scoped (R9).
        const full = can(p, PERMISSIONS.analyticsView);
        const cache = full ? serialized.full : serialized.agent;
        const parts: Buffer[] = [LIST_OPEN];
        let total = 0;
        for (const c of svc.conversations.active(p.orgId)) {
          if (!full && !isAgentIn(c, p.userId)) continue;
          if (total >= from && total - from < pageSize) {
            let json = cache.get(c);
            if (!json) {
              json = utf8(reply.serializeInput(strip(full ? c : agentScoped(c)), S.Conversation));
              cache.set(c, json);
            }
            if (total > from) parts.push(COMMA);
            parts.push(json);
          }
          total++;
        }
        parts.push(Buffer.from(`],"pageSize":${pageSize},"pageNumber":${pageNumber},"total":${total}}`));
        // The same bytes fast-json-stringify would write for S.ConversationList (its property
        // order), without serializing the page again on every request.
        return reply.type(JSON_UTF8).send(Buffer.concat(parts) as never);
      },
    );

    app.get(
      '/conversations/calls/:conversationId',
      {
        schema: {
          tags: ['conversations'],
          params: S.IdParam(['conversationId']),
          response: { 200: S.Conversation, ...errors },
        },
      },
      async (req) => strip(await visible(who(req), req.params.conversationId as string)),
    );

    app.patch(
      '/conversations/calls/:conversationId/participants/:participantId',
      {
        schema: {
          tags: ['conversations'],
          params: S.IdParam(['conversationId', 'participantId']),
          body: S.ParticipantPatch,
          response: { 200: S.Conversation, ...errors },
        },
      },
      async (req) => {
        const p = who(req);
        const { conversationId, participantId } = req.params as CP;
        const view = await visible(p, conversationId);
        const target = view.participants.find((x) => x.id === participantId);
        if (!target) throw apiError('NOT_FOUND', `no participant ${participantId}`);
        const b = req.body;
        if (target.purpose === 'monitor' || target.purpose === 'coach') {
          if (b.state === 'disconnected') await svc.supervision.stop(p, conversationId, participantId);
          else if (b.mode) await svc.supervision.switchMode(p, conversationId, participantId, b.mode);
          else throw apiError('VALIDATION_FAILED', 'on a supervisor participant: state or mode');
        } else {
          requirePermission(p, PERMISSIONS.controlOwnCalls);
          if (b.mode) throw apiError('VALIDATION_FAILED', 'mode applies to a supervisor participant only');
          let command: ConversationCommand;
          if (b.held !== undefined) command = { type: b.held ? 'hold' : 'resume', participantId };
          else if (b.muted !== undefined) command = { type: 'mute', participantId, muted: b.muted };
          else command = { type: 'disconnect', participantId };
          await svc.conversations.apply(p.orgId, conversationId, command);
        }
        return strip(await visible(p, conversationId));
      },
    );

    async function target(p: Principal, b: S.TransferBodyT): Promise<TransferTarget> {
      if (b.userId) {
        const u = await findUser(svc.db, p.orgId, b.userId);
        if (!u) throw apiError('NOT_FOUND', `no user ${b.userId}`);
        return { kind: 'user', userId: u.id, name: u.name };
      }
      if (b.queueId) {
        const q = await findQueue(svc.db, p.orgId, b.queueId);
        if (!q) throw apiError('NOT_FOUND', `no queue ${b.queueId}`);
        return { kind: 'queue', queueId: q.id, name: q.name };
      }
      return { kind: 'address', address: b.address as string };
    }

    for (const verb of ['replace', 'consult'] as const) {
      app.post(
        `/conversations/calls/:conversationId/participants/:participantId/${verb}`,
        {
          schema: {
            tags: ['conversations'],
            params: S.IdParam(['conversationId', 'participantId']),
            body: S.TransferBody,
            response: { 202: S.Conversation, ...errors },
          },
        },
        async (req, reply) => {
          const p = who(req);
          requirePermission(p, PERMISSIONS.controlOwnCalls);
          const { conversationId, participantId } = req.params as CP;
          const view = await visible(p, conversationId);
          if (!view.participants.some((x) => x.id === participantId))
            throw apiError('NOT_FOUND', `no participant ${participantId}`);
          const t = await target(p, req.body);
          if (verb === 'replace') {
            await svc.conversations.apply(p.orgId, conversationId, {
              type: 'transfer',
              participantId,
              target: t,
            });
          } else {
            if (t.kind === 'queue')
              throw apiError('VALIDATION_FAILED', 'a consult goes to a user or an address');
            await svc.conversations.apply(p.orgId, conversationId, {
              type: 'consult.start',
              participantId,
              target: t,
            });
          }
          return reply.status(202).send(strip(await visible(p, conversationId)));
        },
      );
    }

    for (const mode of ['monitor', 'coach'] as const) {
      app.post(
        `/conversations/calls/:conversationId/participants/:participantId/${mode}`,
        {
          schema: {
            tags: ['supervision'],
            params: S.IdParam(['conversationId', 'participantId']),
            body: S.SuperviseBody,
            response: { 201: S.SuperviseReply, ...errors },
            [OPTIONAL_BODY]: true,
          },
          preValidation: defaultEmptyBody,
        },
        async (req, reply) => {
          const p = who(req);
          const { conversationId, participantId } = req.params as CP;
          const r = await svc.supervision.start(p, conversationId, participantId, mode, req.body?.reason);
          return reply.status(201).send(r);
        },
      );
    }

    app.get(
      '/conversations/:conversationId/timeline',
      {
        schema: {
          tags: ['conversations'],
          params: S.IdParam(['conversationId']),
          response: { 200: S.Timeline, ...errors },
        },
      },
      async (req) => {
        const p = who(req);
        const { conversationId } = req.params as { conversationId: string };
        const view = await visible(p, conversationId);
        const entries = (await listTimeline(svc.db, p.orgId, conversationId)) ?? [];
        if (can(p, PERMISSIONS.analyticsView)) return { entities: entries };
        // R9: agent-scoped timelines hide sessions and every entry about a supervisor participant.
        const hidden = new Set(
          (await svc.conversations.get(p.orgId, conversationId))?.participants
            .filter((x) => x.purpose === 'monitor' || x.purpose === 'coach')
            .map((x) => x.id) ?? [],
        );
        void view;
        return {
          entities: entries.filter(
            (e) =>
              !SESSION_EVENT_TYPES.has(e.type as never) && !(e.participantId && hidden.has(e.participantId)),
          ),
        };
      },
    );
  };
}
