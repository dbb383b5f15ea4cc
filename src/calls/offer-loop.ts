import { type ConversationRecord, pickAgent, type Queue } from '../center/index.js';
import { findQueue, listQueueMembers } from '../store/queue.repository.js';
import { listUsers } from '../store/user.repository.js';
import type { TimerHandle } from '../util/clock.js';
import type { CallRuntime } from './call-runtime.js';

/** A conversation whose customer waits in a queue with nobody ringing for it. */
export function waitingQueueId(c: ConversationRecord): string | undefined {
  if (c.state !== 'active') return undefined;
  const acd = c.participants.find((p) => p.purpose === 'acd' && p.state === 'connected');
  if (!acd) return undefined;
  const ringing = c.participants.some(
    (p) =>
      p.state === 'alerting' &&
      p.island === acd.island &&
      (p.purpose === 'agent' || p.purpose === 'customer'),
  );
  return ringing ? undefined : acd.queueId;
}

/** Users taking part (live) in any live conversation, as a party or a supervisor. */
function busyUsers(records: Iterable<ConversationRecord>): Set<string> {
  const busy = new Set<string>();
  for (const c of records) {
    for (const p of c.participants) if (p.userId && p.state !== 'disconnected') busy.add(p.userId);
  }
  return busy;
}

/**
 * The offer loop (SPEC §4): for every waiting customer, oldest first, offer the call to the
 * longest-idle routable member of its queue (`pickAgent`). Runs one pass at a time; a request
 * during a pass runs another after it. Passes are driven by events: a customer entering a queue,
 * a party leaving (an agent freed), call control's own routing-status changes, and — through
 * `UserStatusService.onChange` — an agent going `IDLE` or `AVAILABLE` through the API. While
 * customers still wait it also re-runs every `requeueIntervalMs` as a slow safety poll (for what
 * raises no event: a queue member added by provisioning, an offer command that lost a race).
 */
export class OfferLoop {
  private running = false;
  private again = false;
  private timer: TimerHandle | undefined;
  private closed = false;
  private unsubscribeUsers: (() => void) | undefined;
  passes = 0;
  /** Passes requested by a user status change (dump, tests). */
  statusKicks = 0;

  constructor(private readonly rt: CallRuntime) {}

  /**
   * Listens to presence / routing status changes from the first kick on: the services are attached
   * by then, and before it no customer can be waiting (a customer entering a queue kicks).
   */
  private listen(): void {
    if (this.unsubscribeUsers || this.closed) return;
    this.unsubscribeUsers = this.rt.services().users.onChange((change) => {
      // Only a change that can make an agent routable (SPEC §4: on queue, IDLE and AVAILABLE).
      if (change.routingStatus !== 'IDLE' && change.presence !== 'AVAILABLE') return;
      this.statusKicks++;
      this.kick();
    });
  }

  kick(): void {
    if (this.closed) return;
    this.listen();
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.rt
      .track(this.pass())
      .catch((err) => this.rt.log.error({ err }, 'offer loop failed'))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pass(): Promise<void> {
    this.passes++;
    const conversations = this.rt.services().conversations;
    const waiting = [...conversations.records()]
      .filter((c) => waitingQueueId(c) !== undefined)
      .sort((a, b) => a.startTime - b.startTime);
    this.rt.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (waiting.length === 0 || this.closed) return;
    const busy = busyUsers(conversations.records());
    let left = 0;
    for (const c of waiting) {
      const queueId = waitingQueueId(c);
      if (!queueId) continue;
      const stored = await findQueue(this.rt.db, c.orgId, queueId);
      if (!stored) continue;
      const members = await listQueueMembers(this.rt.db, queueId);
      const queue: Queue = { ...stored, memberIds: members.map((m) => m.userId) };
      const users = await listUsers(this.rt.db, c.orgId);
      const agent = pickAgent(queue, users, busy);
      if (!agent) {
        left++;
        continue;
      }
      busy.add(agent.id);
      const ok = await this.rt.command(c.orgId, c.id, { type: 'offer', userId: agent.id, name: agent.name });
      if (!ok) left++;
    }
    if (left > 0 && !this.closed) {
      this.timer = this.rt.clock.setTimer(this.rt.settings.requeueIntervalMs, () => {
        this.timer = undefined;
        this.kick();
      });
    }
  }

  dump(): Record<string, unknown> {
    return {
      running: this.running,
      timer: this.timer !== undefined,
      passes: this.passes,
      statusKicks: this.statusKicks,
      listening: this.unsubscribeUsers !== undefined,
    };
  }

  close(): void {
    this.closed = true;
    this.unsubscribeUsers?.();
    this.unsubscribeUsers = undefined;
    this.rt.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
