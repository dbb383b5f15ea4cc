import type { Conversation, Participant } from './types.js';

/** A conversation is in progress until its last customer/agent leg ends (SPEC §1). */
export function isInProgress(c: Conversation): boolean {
  if (['disconnected', 'ended', 'terminated', 'closed'].includes(c.state)) return false;
  return c.participants.some(
    (p) => (p.purpose === 'customer' || p.purpose === 'agent') && p.state !== 'disconnected',
  );
}

export const isActive = (p: Participant): boolean => p.state !== 'disconnected';
export const isSupervisor = (p: Participant): boolean => p.purpose === 'monitor' || p.purpose === 'coach';

/** Internal: agents and supervisors (R10). External: customers. The queue (`acd`) is neither. */
export function sections(c: Conversation): { internal: Participant[]; external: Participant[] } {
  const live = c.participants.filter(isActive);
  return {
    internal: live.filter((p) => p.purpose === 'agent' || isSupervisor(p)),
    external: live.filter((p) => p.purpose === 'customer'),
  };
}

export function activeAgents(c: Conversation): Participant[] {
  return c.participants.filter((p) => p.purpose === 'agent' && isActive(p));
}

/** The supervision participant the user runs on this conversation, if any. */
export function mySession(c: Conversation, userId: string): Participant | undefined {
  return c.participants.find((p) => isSupervisor(p) && isActive(p) && p.userId === userId);
}

/** The participant a supervision participant listens to. */
export function sessionTargetId(p: Participant): string | undefined {
  return p.purpose === 'coach'
    ? (p.coachedParticipantId ?? p.monitoredParticipantId)
    : p.monitoredParticipantId;
}

/** Other supervisors listening to this call ("who else is listening"). */
export function otherListeners(c: Conversation, userId: string): Participant[] {
  return c.participants.filter((p) => isSupervisor(p) && isActive(p) && p.userId !== userId);
}

/**
 * What an agent's screen may show (R9): never a monitor or coach participant. The server's
 * agent-scoped views already leave them out; the console filters again so no future field leaks.
 */
export function agentView(c: Conversation): Conversation {
  return { ...c, participants: c.participants.filter((p) => !isSupervisor(p)) };
}

/** The agent participant of `userId` that is still on the call (the agent's current interaction). */
export function myAgentParticipant(c: Conversation, userId: string): Participant | undefined {
  return c.participants.find((p) => p.purpose === 'agent' && p.userId === userId && isActive(p));
}

export function agentNames(c: Conversation): string {
  const names = activeAgents(c).map((p) => p.name);
  return names.length ? names.join(', ') : '—';
}

export function customerName(c: Conversation): string {
  const cust = c.participants.find((p) => p.purpose === 'customer');
  return cust ? cust.name || cust.address || 'Customer' : '—';
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}
