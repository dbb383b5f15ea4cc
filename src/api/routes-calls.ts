import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../calls/app/services.js';
import { PERMISSIONS } from '../center/index.js';
import { apiError } from './api-errors.js';
import { requirePermission, who } from './auth.js';
import { strip, visibleConversation } from './routes-conversations.js';
import * as S from './schemas.js';

const errors = { 400: S.ErrorBody, 401: S.ErrorBody, 403: S.ErrorBody, 404: S.ErrorBody, 409: S.ErrorBody };
type CP = { conversationId: string; participantId: string };

/** Agent call controls added after the contract's first table: outbound call, conference (consult PATCH). */
export function callControlRoutes(svc: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/conversations/calls',
      {
        schema: {
          tags: ['conversations'],
          body: S.OutboundCallBody,
          response: { 201: S.Conversation, ...errors },
        },
      },
      async (req, reply) => {
        const p = who(req);
        // Placing a call is controlling one's own calls (every role has it; an agent places them).
        requirePermission(p, PERMISSIONS.controlOwnCalls);
        const view = await svc.conversations.startOutbound(p.orgId, p.userId, req.body.phoneNumber);
        return reply.status(201).send(strip(view));
      },
    );

    app.patch(
      '/conversations/calls/:conversationId/participants/:participantId/consult',
      {
        schema: {
          tags: ['conversations'],
          params: S.IdParam(['conversationId', 'participantId']),
          body: S.ConsultPatch,
          response: { 200: S.Conversation, ...errors },
        },
      },
      async (req) => {
        const p = who(req);
        requirePermission(p, PERMISSIONS.controlOwnCalls);
        const { conversationId, participantId } = req.params as CP;
        const view = await visibleConversation(svc, p, conversationId);
        if (!view.participants.some((x) => x.id === participantId))
          throw apiError('NOT_FOUND', `no participant ${participantId}`);
        if (req.body.speakTo !== 'CONFERENCE') {
          throw apiError(
            'VALIDATION_FAILED',
            `speakTo ${req.body.speakTo} is not supported: use CONFERENCE (complete a consult by disconnecting the consulting agent, cancel it by disconnecting the consulted party)`,
          );
        }
        const consult = svc.conversations.record(p.orgId, conversationId)?.consult;
        if (consult && consult.customerId !== participantId) {
          throw apiError(
            'VALIDATION_FAILED',
            `participant ${participantId} is not the party the consult is about (${consult.customerId})`,
          );
        }
        // No consult in progress: the domain refuses (INVALID_STATE, 409).
        await svc.conversations.apply(p.orgId, conversationId, { type: 'conference' });
        return strip(await visibleConversation(svc, p, conversationId));
      },
    );
  };
}
