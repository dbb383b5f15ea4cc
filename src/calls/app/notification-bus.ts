import type { ConversationEvent, ConversationRecord } from '../../center/index.js';
import { TypedEmitter } from '../../util/typed-emitter.js';

/** One committed change of a conversation: its new state and the events that produced it. */
export interface ConversationChanged {
  readonly conversation: ConversationRecord;
  readonly events: readonly ConversationEvent[];
  /** The queue the conversation came in on, if any (for queue topics). */
  readonly queueId?: string;
  /** Users whose agent topic is concerned (agents in the conversation, including those who just left). */
  readonly agentUserIds: readonly string[];
}

/**
 * Where committed changes fan out (to WebSocket clients). In-process for one node; a NATS
 * implementation with the same interface comes with scale-out.
 */
export interface NotificationBus {
  publish(change: ConversationChanged): void;
  subscribe(fn: (change: ConversationChanged) => void): () => void;
}

export class InProcessNotificationBus implements NotificationBus {
  private readonly emitter = new TypedEmitter<{ change: [ConversationChanged] }>();

  publish(change: ConversationChanged): void {
    this.emitter.emit('change', change);
  }

  subscribe(fn: (change: ConversationChanged) => void): () => void {
    this.emitter.on('change', fn);
    return () => this.emitter.off('change', fn);
  }

  dump(): { subscribers: number } {
    return { subscribers: this.emitter.listenerCount('change') };
  }
}
