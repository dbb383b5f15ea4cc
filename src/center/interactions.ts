import type { ConversationRecord } from './conversation-types.js';

/**
 * R14: "Supervisors reach a conversation's details page from the Performance > Interactions view
 * (in-progress interactions, live) and from the list of on-queue agents (each with their current
 * interaction)." The pure selections behind those two views.
 */

/** In-progress conversations (R4's "in progress"), oldest first. */
export function inProgressInteractions(conversations: readonly ConversationRecord[]): ConversationRecord[] {
  return conversations.filter((c) => c.state === 'active').sort((a, b) => a.startTime - b.startTime);
}

/** The in-progress conversation in which the user is a live agent (connected, held or alerting), if any. */
export function currentInteractionOf(
  userId: string,
  conversations: readonly ConversationRecord[],
): ConversationRecord | undefined {
  return conversations.find(
    (c) =>
      c.state === 'active' &&
      c.participants.some((p) => p.purpose === 'agent' && p.userId === userId && p.state !== 'disconnected'),
  );
}
