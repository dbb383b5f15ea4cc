import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api-client.js';
import { useApp, useNow, useReconnect, useTopic } from '../app-context.js';
import { TransferForm } from '../components/transfer-form.js';
import {
  agentView,
  customerName,
  formatDuration,
  isInProgress,
  myAgentParticipant,
} from '../lib/conversation-view.js';
import { type Conversation, type Participant, PRESENCES } from '../lib/types.js';

/**
 * The agent desktop: presence, On/Off Queue, the phone and the current interaction with its
 * controls. Only agent-scoped data is shown, and filtered again (R9): nothing here can reveal
 * that a supervisor is monitoring or coaching.
 */
export default function AgentDesktop() {
  const { api, me, refreshMe, phone } = useApp();
  const now = useNow();
  const [conversations, setConversations] = useState<Map<string, Conversation>>(new Map());
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [consultOf, setConsultOf] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const list = await api.activeConversations();
      setConversations(
        new Map(list.filter((c) => myAgentParticipant(c, me.id)).map((c) => [c.id, agentView(c)])),
      );
    } catch {
      setError('Could not load your interactions.');
    }
  }, [api, me.id]);
  useEffect(() => void load(), [load]);
  useReconnect(() => {
    void load();
    void refreshMe().catch(() => {});
  });
  useTopic(`v2.users.${me.id}.conversations.calls`, (n) => {
    const c = n.eventBody as Conversation;
    if (!c || typeof c.id !== 'string' || !Array.isArray(c.participants)) return;
    setConversations((prev) => {
      const next = new Map(prev);
      if (isInProgress(c) && myAgentParticipant(c, me.id)) next.set(c.id, agentView(c));
      else next.delete(c.id);
      return next;
    });
  });

  const current = [...conversations.values()][0];
  const mineP = current ? myAgentParticipant(current, me.id) : undefined;
  useEffect(() => {
    if (!current) setConsultOf(null);
  }, [current]);

  async function run(fn: () => Promise<unknown>) {
    setBusy(true);
    setError('');
    try {
      await fn();
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message || e.code : 'Something went wrong.');
    } finally {
      setBusy(false);
    }
  }

  const onQueue = me.routingStatus !== 'OFF_QUEUE';
  const patch = (body: Record<string, unknown>) => () =>
    current && mineP ? api.patchParticipant(current.id, mineP.id, body) : Promise.resolve();
  const others = current
    ? current.participants.filter(
        (p) => p.id !== mineP?.id && p.state !== 'disconnected' && p.purpose !== 'acd',
      )
    : [];
  const customer = others.find((p) => p.purpose === 'customer');
  const consulted = consultOf ? others.filter((p) => p.id !== consultOf) : [];
  const ringing = phone.snapshot?.call === 'ringing';

  return (
    <div className="page agent">
      <h1>Agent desktop</h1>
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      <section className="card status-bar" aria-label="My status">
        <label>
          Presence
          <select
            value={me.presence}
            disabled={busy}
            onChange={(e) =>
              void run(async () => {
                await api.setPresence(me.id, e.target.value);
                await refreshMe();
              })
            }
          >
            {PRESENCES.map((p) => (
              <option key={p} value={p}>
                {p.charAt(0) + p.slice(1).toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          aria-pressed={onQueue}
          className={onQueue ? 'primary' : ''}
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await api.setRoutingStatus(me.id, onQueue ? 'OFF_QUEUE' : 'IDLE');
              await refreshMe();
            })
          }
        >
          {onQueue ? 'On Queue' : 'Off Queue'}
        </button>
        <span className="routing" role="status" aria-label="Routing status">
          {me.routingStatus.replaceAll('_', ' ').toLowerCase()}
        </span>
      </section>

      <section className="card" aria-labelledby="ci-title">
        <h2 id="ci-title">Current interaction</h2>
        {ringing && !current && (
          <p>
            Incoming call from {phone.snapshot?.remote}{' '}
            <button type="button" className="primary" onClick={phone.answer}>
              Answer
            </button>
          </p>
        )}
        {!current && !ringing && <p className="empty">No interaction.</p>}
        {current && mineP && (
          <div>
            <p className="meta">
              {customerName(current)} · {mineP.state}
              {current.startTime ? ` · ${formatDuration(now - Date.parse(current.startTime))}` : ''}
            </p>
            <ul aria-label="Participants">
              {others.map((p: Participant) => (
                <li key={p.id}>
                  {p.name || p.address}{' '}
                  <span className={`state ${p.state}`}>{p.held ? 'held' : p.state}</span>
                </li>
              ))}
            </ul>
            <div className="controls" role="toolbar" aria-label="Call controls">
              {mineP.state === 'alerting' && (
                <button type="button" className="primary" disabled={!ringing} onClick={phone.answer}>
                  Answer
                </button>
              )}
              <button
                type="button"
                disabled={busy}
                aria-pressed={!!mineP.held}
                onClick={() => void run(patch({ held: !mineP.held }))}
              >
                {mineP.held ? 'Resume' : 'Hold'}
              </button>
              <button
                type="button"
                disabled={busy}
                aria-pressed={!!mineP.muted}
                onClick={() => void run(patch({ muted: !mineP.muted }))}
              >
                {mineP.muted ? 'Unmute' : 'Mute'}
              </button>
              <button
                type="button"
                className="danger"
                disabled={busy}
                onClick={() => void run(patch({ state: 'disconnected' }))}
              >
                Disconnect
              </button>
            </div>
            {consultOf ? (
              <fieldset className="controls">
                <legend className="sr-only">Consult</legend>
                <span>Consulting {consulted.map((p) => p.name || p.address).join(', ') || '…'}</span>
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => void run(patch({ state: 'disconnected' }))}
                >
                  Complete transfer
                </button>
                <button
                  type="button"
                  disabled={busy || consulted.length === 0}
                  onClick={() =>
                    void run(async () => {
                      for (const p of consulted)
                        await api.patchParticipant(current.id, p.id, { state: 'disconnected' });
                      setConsultOf(null);
                    })
                  }
                >
                  Cancel consult
                </button>
              </fieldset>
            ) : (
              <TransferForm
                busy={busy}
                onTransfer={(kind, target) =>
                  void run(async () => {
                    if (kind === 'blind')
                      await api.participantAction(current.id, mineP.id, 'replace', target);
                    else if (customer) {
                      await api.participantAction(current.id, customer.id, 'consult', target);
                      setConsultOf(customer.id);
                    }
                  })
                }
              />
            )}
          </div>
        )}
      </section>
    </div>
  );
}
