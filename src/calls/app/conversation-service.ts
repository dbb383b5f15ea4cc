import { randomUUID } from 'node:crypto';
import type pino from 'pino';
import {
  type ConversationCommand,
  type ConversationRecord,
  centerError,
  type Decision,
  type DecisionEnv,
  decide,
  hearingPlan,
  startInboundConversation,
  startOutboundConversation,
} from '../../center/index.js';
import { appendTimeline, findConversation, saveConversation } from '../../store/conversation.repository.js';
import type { ConversationView } from '../../store/conversation-types.js';
import type { Db } from '../../store/database.js';
import { findPhoneOfUser } from '../../store/phone.repository.js';
import { findQueue } from '../../store/queue.repository.js';
import { findUser } from '../../store/user.repository.js';
import type { Clock } from '../../util/clock.js';
import { appError } from './app-errors.js';
import type { CallSideEffects } from './call-side-effects.js';
import { toConversationView, toTimelineEntry } from './conversation-view.js';
import type { NotificationBus } from './notification-bus.js';

interface Live {
  record: ConversationRecord;
  queueId: string | undefined;
  /** The view as last persisted (served to readers without touching the store). */
  view: ConversationView;
  /** Commands on one conversation run one after the other. */
  tail: Promise<unknown>;
}

export interface ConversationServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly bus: NotificationBus;
  readonly effects: CallSideEffects;
  readonly log: pino.Logger;
}

/**
 * Holds the live conversations (center state), applies center commands, hands each decision's
 * hearing plan to the media port at once, persists the change (conversation, participants,
 * timeline — one transaction) before acknowledging, then publishes it on the bus. A failed write
 * puts the previous plan back.
 */
export class ConversationService {
  private readonly live = new Map<string, Live>();
  /** Bumped on every change to `live` or to a live view: the per-org lists below are rebuilt lazily. */
  private liveVersion = 0;
  private readonly activeByOrg = new Map<string, { version: number; views: readonly ConversationView[] }>();
  private closed = false;

  constructor(private readonly deps: ConversationServiceDeps) {}

  private env(): DecisionEnv {
    return { now: this.deps.clock.now(), newId: randomUUID };
  }

  /** SPEC §4: a customer calls a queue's number and waits in the queue. */
  async startInbound(
    orgId: string,
    queueId: string,
    customer: { name: string; address?: string },
  ): Promise<ConversationView> {
    const queue = await findQueue(this.deps.db, orgId, queueId);
    if (!queue) throw appError('NOT_FOUND', `no queue ${queueId}`);
    const d = startInboundConversation(
      { orgId, customer, queue: { id: queue.id, name: queue.name } },
      this.env(),
    );
    const entry: Live = {
      record: d.conversation,
      queueId,
      view: toConversationView(d.conversation, queueId),
      tail: Promise.resolve(),
    };
    await this.commit(entry, d);
    return entry.view;
  }

  /**
   * SPEC §4: "an agent can place a call to a number through the trunk". The agent must have a
   * selected phone (it is called first); the conversation starts with the agent `connected`
   * (hearing ringback) and the customer `alerting`. Call control places both legs.
   */
  async startOutbound(orgId: string, userId: string, number: string): Promise<ConversationView> {
    const user = await findUser(this.deps.db, orgId, userId);
    if (!user) throw appError('NOT_FOUND', `no user ${userId}`);
    if (!(await findPhoneOfUser(this.deps.db, orgId, userId))) {
      throw centerError(
        'NO_SELECTED_PHONE',
        'an outbound call rings your selected phone first: you have none',
      );
    }
    const d = startOutboundConversation(
      { orgId, agent: { userId, name: user.name }, address: `tel:${number}`, name: number },
      this.env(),
    );
    const agent = d.conversation.participants.find((p) => p.purpose === 'agent');
    const entry: Live = {
      record: d.conversation,
      queueId: undefined,
      view: toConversationView(d.conversation, undefined),
      tail: Promise.resolve(),
    };
    const committed = this.commit(entry, d);
    // Told before the commit publishes the change, so call control owns both legs from the start.
    this.deps.effects.placeOutboundCall?.(
      {
        orgId,
        conversationId: d.conversation.id,
        agentParticipantId: agent?.id as string,
        customerParticipantId: d.participantId as string,
        userId,
        number,
      },
      committed,
    );
    await committed;
    return entry.view;
  }

  /**
   * Applies one command to the conversation `conversationId` of `orgId` (another org's id is
   * NOT_FOUND). Domain refusals are thrown as center `CataloguedError`s and change nothing.
   */
  async apply(orgId: string, conversationId: string, command: ConversationCommand): Promise<Decision> {
    const entry = this.live.get(conversationId);
    if (!entry || entry.record.orgId !== orgId) {
      const stored = await findConversation(this.deps.db, orgId, conversationId);
      if (stored) throw this.ended(conversationId);
      throw appError('NOT_FOUND', `no conversation ${conversationId}`);
    }
    const run = entry.tail.then(async () => {
      if (!this.live.has(conversationId)) throw this.ended(conversationId);
      const d = decide(entry.record, command, this.env());
      await this.commit(entry, d);
      return d;
    });
    entry.tail = run.catch(() => undefined);
    return run;
  }

  private ended(id: string) {
    return decideError(id);
  }

  private async commit(entry: Live, d: Decision): Promise<void> {
    if (this.closed) throw new Error('ConversationService is closed');
    const view = toConversationView(d.conversation, entry.queueId);
    const { db, effects } = this.deps;
    // Media first: who hears whom is the domain's decision, made; the store write (a transaction,
    // an fsync) must not delay the audio — an atomic switch is heard at the next 20 ms frame. The
    // acknowledgement, the bus (notifications, call control) and the timeline still follow the
    // write, in order (commands on one conversation run one after the other). If the write fails
    // the decision did not happen: the plan that was in force is applied again.
    const known = this.live.get(view.id) === entry;
    effects.applyHearingPlan(hearingPlan(d.conversation));
    try {
      await db.transaction().execute(async (tx) => {
        await saveConversation(tx, view);
        for (const e of d.events) await appendTimeline(tx, view.orgId, view.id, toTimelineEntry(e));
      });
    } catch (err) {
      effects.applyHearingPlan(known ? hearingPlan(entry.record) : { conversationId: view.id, legs: [] });
      throw err;
    }
    const agentUserIds = new Set<string>();
    for (const p of [...entry.record.participants, ...d.conversation.participants]) {
      if (p.purpose === 'agent' && p.userId) agentUserIds.add(p.userId);
    }
    entry.record = d.conversation;
    entry.view = view;
    if (d.conversation.state === 'ended') this.live.delete(view.id);
    else this.live.set(view.id, entry);
    this.liveVersion++;
    this.deps.bus.publish({
      conversation: d.conversation,
      events: d.events,
      ...(entry.queueId ? { queueId: entry.queueId } : {}),
      agentUserIds: [...agentUserIds],
    });
  }

  /** The live record (center state) of an active conversation in `orgId`. */
  record(orgId: string, id: string): ConversationRecord | undefined {
    const e = this.live.get(id);
    return e && e.record.orgId === orgId ? e.record : undefined;
  }

  /** An active conversation's view, or an ended one from the store; undefined for another org. */
  async get(orgId: string, id: string): Promise<ConversationView | undefined> {
    const e = this.live.get(id);
    if (e) return e.record.orgId === orgId ? e.view : undefined;
    return findConversation(this.deps.db, orgId, id);
  }

  /**
   * Active conversations of `orgId` (served from memory, in start order). The list is built once
   * per change, not per read: the conversation list endpoint reads it on every request (with 1,000
   * live conversations a generator walk cost ~40 µs and ~1,000 small objects per request).
   */
  active(orgId: string): readonly ConversationView[] {
    const cached = this.activeByOrg.get(orgId);
    if (cached && cached.version === this.liveVersion) return cached.views;
    const views: ConversationView[] = [];
    for (const e of this.live.values()) if (e.record.orgId === orgId) views.push(e.view);
    this.activeByOrg.set(orgId, { version: this.liveVersion, views });
    return views;
  }

  /** Every live record (for cross-conversation rules such as R5 "busy"). */
  *records(): Iterable<ConversationRecord> {
    for (const e of this.live.values()) yield e.record;
  }

  dump(): { live: number; ids: string[] } {
    return { live: this.live.size, ids: [...this.live.keys()] };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled([...this.live.values()].map((e) => e.tail));
    this.closed = true;
  }
}

function decideError(id: string) {
  return centerError('CONVERSATION_NOT_IN_PROGRESS', `conversation ${id} has ended`);
}
