import { isActive, mySession, sessionTargetId } from './conversation-view.js';
import { type Conversation, type Me, type Participant, PERM_COACH, PERM_MONITOR } from './types.js';

export type SupervisionAction = 'monitor' | 'coach' | 'stop-monitor' | 'stop-coach';

export interface MenuItem {
  action: SupervisionAction;
  label: string;
  /** Undefined when the action is allowed; otherwise the reason shown beside the disabled item. */
  disabledReason?: string;
}

const LABELS: Record<SupervisionAction, string> = {
  monitor: 'Monitor',
  coach: 'Coach',
  'stop-monitor': 'Stop Monitoring',
  'stop-coach': 'Stop Coaching',
};

/**
 * The menu beside a participant's name on the details page: what the rules allow (R1–R7), and
 * why not when they don't. The server decides; this preview keeps the console honest about it.
 */
export function supervisionMenu(me: Me, c: Conversation, target: Participant, ended: boolean): MenuItem[] {
  if (target.purpose !== 'agent' && target.purpose !== 'customer') return [];
  const mine = mySession(c, me.id);
  if (mine) {
    // A session runs on my phone: the only choice on its target is to stop it (R11).
    if (sessionTargetId(mine) !== target.id) return [];
    const action = mine.purpose === 'coach' ? 'stop-coach' : 'stop-monitor';
    return [{ action, label: LABELS[action] }];
  }
  const items: MenuItem[] = [item('monitor', startReason(me, c, target, ended, PERM_MONITOR))];
  // R6: a coach target is an internal (agent) participant only.
  if (target.purpose === 'agent') {
    let reason = startReason(me, c, target, ended, PERM_COACH);
    // R7: at most one coaching session per agent per call.
    if (!reason && alreadyCoached(c, target.id)) reason = 'Agent already coached';
    items.push(item('coach', reason));
  }
  return items;
}

function item(action: SupervisionAction, reason: string | undefined): MenuItem {
  return reason
    ? { action, label: LABELS[action], disabledReason: reason }
    : { action, label: LABELS[action] };
}

function startReason(
  me: Me,
  c: Conversation,
  target: Participant,
  ended: boolean,
  permission: string,
): string | undefined {
  if (!me.permissions.includes(permission)) return 'No permission'; // R1
  if (ended) return 'Interaction has ended'; // R4
  // R5: cannot supervise a conversation one participates in.
  if (c.participants.some((p) => p.userId === me.id && isActive(p) && p.purpose !== 'acd'))
    return 'Your own call';
  if (!me.phone) return 'No phone selected'; // R2
  if (me.presence !== 'AVAILABLE') return 'You are not Available'; // R3
  if (target.state !== 'connected' && target.state !== 'held') return 'Participant not connected'; // R4
  return undefined;
}

export function alreadyCoached(c: Conversation, agentParticipantId: string): boolean {
  return c.participants.some(
    (p) => p.purpose === 'coach' && isActive(p) && sessionTargetId(p) === agentParticipantId,
  );
}

/**
 * The monitor ⇄ coach switch on my running session (R12). Coach needs the coach permission and an
 * agent nobody else coaches (R6, R7). The atomic switch keeps the target, so it works when the
 * monitored participant is an agent; when it is the customer, the switch coaches the agent on the
 * call instead (`restartOn`: stop, then start coaching — the vendor's way, with a short gap).
 */
export function switchOption(
  me: Me,
  c: Conversation,
  preferredAgentId?: string,
): { to: 'monitor' | 'coach'; disabledReason?: string; restartOn?: string } | undefined {
  const mine = mySession(c, me.id);
  if (!mine) return undefined;
  if (mine.purpose === 'coach') return { to: 'monitor' };
  if (!me.permissions.includes(PERM_COACH)) return { to: 'coach', disabledReason: 'No permission' };
  const target = c.participants.find((p) => p.id === sessionTargetId(mine));
  let agent = target?.purpose === 'agent' ? target : undefined;
  let restartOn: string | undefined;
  if (!agent) {
    const agents = c.participants.filter(
      (p) => p.purpose === 'agent' && (p.state === 'connected' || p.state === 'held'),
    );
    agent = agents.find((a) => a.id === preferredAgentId) ?? agents[0];
    restartOn = agent?.id;
  }
  if (!agent) return { to: 'coach', disabledReason: 'No agent to coach' };
  if (alreadyCoached(c, agent.id)) return { to: 'coach', disabledReason: 'Agent already coached' };
  return restartOn ? { to: 'coach', restartOn } : { to: 'coach' };
}

/** Friendly text for the API's supervision refusal codes (CONTRACT.md §4). */
export const REFUSAL_TEXT: Record<string, string> = {
  PERMISSION_DENIED: 'You do not have permission to do this.',
  NO_SELECTED_PHONE: 'You have no selected phone.',
  SUPERVISOR_NOT_AVAILABLE: 'Set your status to Available first.',
  CONVERSATION_NOT_IN_PROGRESS: 'This interaction has ended.',
  TARGET_NOT_SUPERVISABLE: 'That participant cannot be supervised now.',
  SUPERVISOR_IS_PARTICIPANT: 'You cannot supervise your own call.',
  SUPERVISOR_BUSY: 'A session already runs on your phone.',
  AGENT_ALREADY_COACHED: 'This agent is already being coached.',
  MONITOR_LIMIT_REACHED: 'Too many supervisors are already monitoring this call.',
  NOT_FOUND: 'Not found (the interaction may have ended).',
  VALIDATION_FAILED: 'The request was not valid.',
};
