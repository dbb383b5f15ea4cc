import { useCallback, useEffect, useRef, useState } from 'react';
import { useApp, useReconnect } from '../app-context.js';
import { isInProgress } from '../lib/conversation-view.js';
import type { Conversation, Queue, QueueMember } from '../lib/types.js';
import type { Notification } from '../notifications-client.js';

export interface LiveConversations {
  conversations: Conversation[];
  /** Queue of each conversation, learnt from the topic that carried it (or its own field). */
  queueOf: Map<string, string>;
  queues: Queue[];
  members: QueueMember[];
  error: string;
  loaded: boolean;
}

/**
 * In-progress conversations, kept live by notifications (no polling): the list comes from
 * `GET /conversations/calls?state=active`, then every queue topic and every listed conversation's
 * topic upserts or removes entries. After the socket comes back, everything is fetched again.
 */
export function useLiveConversations(): LiveConversations {
  const { api, notifications } = useApp();
  const [byId, setById] = useState<Map<string, Conversation>>(new Map());
  const [queueOf, setQueueOf] = useState<Map<string, string>>(new Map());
  const [queues, setQueues] = useState<Queue[]>([]);
  const [members, setMembers] = useState<QueueMember[]>([]);
  const [error, setError] = useState('');
  const [loaded, setLoaded] = useState(false);
  const queuesRef = useRef<Queue[]>([]);
  const memberTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loadMembers = useCallback(async () => {
    const lists = await Promise.all(queuesRef.current.map((q) => api.queueMembers(q.id).catch(() => [])));
    const seen = new Map<string, QueueMember>();
    for (const m of lists.flat()) if (m.id && !seen.has(m.id)) seen.set(m.id, m);
    setMembers([...seen.values()]);
  }, [api]);

  const refreshMembersSoon = useCallback(() => {
    clearTimeout(memberTimer.current);
    memberTimer.current = setTimeout(() => void loadMembers(), 250);
  }, [loadMembers]);

  const load = useCallback(async () => {
    try {
      const [list, qs] = await Promise.all([api.activeConversations(), api.queues().catch(() => [])]);
      queuesRef.current = qs;
      setQueues(qs);
      setById(new Map(list.filter(isInProgress).map((c) => [c.id, c])));
      setQueueOf((prev) => {
        const next = new Map(prev);
        for (const c of list) if (c.queueId) next.set(c.id, c.queueId);
        return next;
      });
      setError('');
      setLoaded(true);
      await loadMembers();
    } catch {
      setError('Could not load interactions.');
    }
  }, [api, loadMembers]);

  useEffect(() => {
    void load();
    return () => clearTimeout(memberTimer.current);
  }, [load]);
  useReconnect(load);

  const onEvent = useCallback(
    (n: Notification) => {
      const c = n.eventBody as Conversation | undefined;
      if (!c || typeof c.id !== 'string' || !Array.isArray(c.participants)) return;
      setById((prev) => {
        const next = new Map(prev);
        if (isInProgress(c)) next.set(c.id, c);
        else next.delete(c.id);
        return next;
      });
      const m = /^v2\.routing\.queues\.(.+)\.conversations\.calls$/.exec(n.topic);
      const qid = m?.[1] ?? c.queueId;
      if (qid) setQueueOf((prev) => (prev.get(c.id) === qid ? prev : new Map(prev).set(c.id, qid)));
      refreshMembersSoon();
    },
    [refreshMembersSoon],
  );

  const queueIds = queues.map((q) => q.id).join(',');
  useEffect(() => {
    const offs = queueIds
      .split(',')
      .filter(Boolean)
      .map((id) => notifications.subscribe(`v2.routing.queues.${id}.conversations.calls`, onEvent));
    return () => {
      for (const off of offs) off();
    };
  }, [notifications, queueIds, onEvent]);

  const convIds = [...byId.keys()].sort().join(',');
  useEffect(() => {
    const offs = convIds
      .split(',')
      .filter(Boolean)
      .map((id) => notifications.subscribe(`v2.conversations.calls.${id}`, onEvent));
    return () => {
      for (const off of offs) off();
    };
  }, [notifications, convIds, onEvent]);

  const conversations = [...byId.values()].sort((a, b) =>
    (a.startTime ?? '').localeCompare(b.startTime ?? ''),
  );
  return { conversations, queueOf, queues, members, error, loaded };
}
