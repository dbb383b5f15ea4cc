import type { InboundCall, OutboundCall } from './conversation-commands.js';
import { addParticipant, commit, type Draft, participantRef } from './conversation-draft.js';
import {
  conversationStarted,
  participantAlerting,
  participantConnected,
  queueEntered,
} from './conversation-events.js';
import type { ConversationRecord, DecisionEnv } from './conversation-types.js';
import type { Decision } from './decide.js';

function emptyDraft(orgId: string, direction: ConversationRecord['direction'], env: DecisionEnv): Draft {
  return {
    id: env.newId(),
    orgId,
    direction,
    startTime: env.now,
    state: 'active',
    endTime: undefined,
    participants: [],
    consult: undefined,
    nextIsland: 1,
    events: [],
    env,
  };
}

/**
 * SPEC §4: "a customer calls a queue's number over the SIP trunk; the call waits in the queue with
 * music". The customer is alone in its island with the queue's `acd` participant (music).
 */
export function startInboundConversation(call: InboundCall, env: DecisionEnv): Decision {
  const d = emptyDraft(call.orgId, 'inbound', env);
  d.events.push(conversationStarted(env.now, d.id, { direction: 'inbound', queueId: call.queue.id }));
  const island = d.nextIsland++;
  const c = addParticipant(d, {
    purpose: 'customer',
    name: call.customer.name,
    ...(call.customer.address === undefined ? {} : { address: call.customer.address }),
    state: 'connected',
    island,
  });
  d.events.push(participantConnected(env.now, d.id, participantRef(c)));
  const acd = addParticipant(d, {
    purpose: 'acd',
    name: call.queue.name,
    state: 'connected',
    island,
    queueId: call.queue.id,
  });
  d.events.push(participantConnected(env.now, d.id, participantRef(acd)));
  d.events.push(queueEntered(env.now, d.id, { participantId: c.id, queueId: call.queue.id }));
  return { conversation: commit(d), events: d.events };
}

/** SPEC §4: "an agent can place a call to a number through the trunk" (the agent hears ringback). */
export function startOutboundConversation(call: OutboundCall, env: DecisionEnv): Decision {
  const d = emptyDraft(call.orgId, 'outbound', env);
  d.events.push(conversationStarted(env.now, d.id, { direction: 'outbound' }));
  const island = d.nextIsland++;
  const a = addParticipant(d, {
    purpose: 'agent',
    userId: call.agent.userId,
    name: call.agent.name,
    state: 'connected',
    island,
  });
  d.events.push(participantConnected(env.now, d.id, participantRef(a)));
  const c = addParticipant(d, {
    purpose: 'customer',
    name: call.name ?? call.address,
    address: call.address,
    state: 'alerting',
    island,
  });
  d.events.push(participantAlerting(env.now, d.id, { ...participantRef(c), address: call.address }));
  return { conversation: commit(d), events: d.events, participantId: c.id };
}
