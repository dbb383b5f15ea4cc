import { useState } from 'react';
import { useNow } from '../app-context.js';
import {
  activeAgents,
  agentNames,
  customerName,
  formatDuration,
  myAgentParticipant,
} from '../lib/conversation-view.js';
import { useLiveConversations } from './use-live-conversations.js';

/** Performance › Interactions (R14): in-progress interactions, live, and the on-queue agents. */
export default function InteractionsPage() {
  const live = useLiveConversations();
  const now = useNow();
  const [queueFilter, setQueueFilter] = useState('');
  const [agentFilter, setAgentFilter] = useState('');
  const queueName = (id: string | undefined) => live.queues.find((q) => q.id === id)?.name ?? '—';

  const agentOptions = new Map<string, string>();
  for (const c of live.conversations)
    for (const p of activeAgents(c)) if (p.userId) agentOptions.set(p.userId, p.name);
  for (const m of live.members) agentOptions.set(m.id, m.name);

  const rows = live.conversations.filter(
    (c) =>
      (!queueFilter || live.queueOf.get(c.id) === queueFilter) &&
      (!agentFilter || activeAgents(c).some((p) => p.userId === agentFilter)),
  );
  const onQueue = live.members.filter((m) => m.routingStatus && m.routingStatus !== 'OFF_QUEUE');

  return (
    <div className="page">
      <h1>Interactions</h1>
      {live.error && (
        <p className="banner error" role="alert">
          {live.error}
        </p>
      )}
      <section aria-labelledby="ip-title">
        <div className="section-head">
          <h2 id="ip-title">In-progress interactions</h2>
          <div className="filters">
            <label>
              Queue
              <select
                aria-label="Filter by queue"
                value={queueFilter}
                onChange={(e) => setQueueFilter(e.target.value)}
              >
                <option value="">All queues</option>
                {live.queues.map((q) => (
                  <option key={q.id} value={q.id}>
                    {q.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Agent
              <select
                aria-label="Filter by agent"
                value={agentFilter}
                onChange={(e) => setAgentFilter(e.target.value)}
              >
                <option value="">All agents</option>
                {[...agentOptions].map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </div>
        <table aria-label="In-progress interactions">
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Queue</th>
              <th scope="col">Agents</th>
              <th scope="col">Duration</th>
              <th scope="col">
                <span className="sr-only">Open</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id}>
                <td>{customerName(c)}</td>
                <td>{queueName(live.queueOf.get(c.id))}</td>
                <td>{agentNames(c)}</td>
                <td className="num">{c.startTime ? formatDuration(now - Date.parse(c.startTime)) : '—'}</td>
                <td>
                  <a
                    href={`#/interactions/${encodeURIComponent(c.id)}`}
                    aria-label={`Open interaction with ${customerName(c)}`}
                  >
                    Details
                  </a>
                </td>
              </tr>
            ))}
            {live.loaded && rows.length === 0 && (
              <tr>
                <td colSpan={5} className="empty">
                  No interactions in progress.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="oq-title">
        <h2 id="oq-title">On-queue agents</h2>
        <table aria-label="On-queue agents">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col">Presence</th>
              <th scope="col">Current interaction</th>
            </tr>
          </thead>
          <tbody>
            {onQueue.map((m) => {
              const c = live.conversations.find((x) => myAgentParticipant(x, m.id));
              return (
                <tr key={m.id}>
                  <td>{m.name}</td>
                  <td>{statusText(m.routingStatus)}</td>
                  <td>{m.presence ? titleCase(m.presence) : '—'}</td>
                  <td>
                    {c ? (
                      <a
                        href={`#/interactions/${encodeURIComponent(c.id)}`}
                        aria-label={`Open ${m.name}'s interaction`}
                      >
                        {customerName(c)}
                        {c.startTime ? ` · ${formatDuration(now - Date.parse(c.startTime))}` : ''}
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              );
            })}
            {live.loaded && onQueue.length === 0 && (
              <tr>
                <td colSpan={4} className="empty">
                  No agents on queue.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function statusText(s?: string): string {
  return s ? titleCase(s.replaceAll('_', ' ')) : '—';
}
function titleCase(s: string): string {
  return s.charAt(0) + s.slice(1).toLowerCase();
}
