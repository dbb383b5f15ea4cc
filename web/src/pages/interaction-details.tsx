import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api-client.js';
import { useApp, useNow, useReconnect, useTopic } from '../app-context.js';
import { SupervisionMenuButton } from '../components/supervision-menu-button.js';
import { TimelineView } from '../components/timeline-view.js';
import {
  activeAgents,
  customerName,
  formatDuration,
  isInProgress,
  isSupervisor,
  mySession,
  otherListeners,
  sections,
  sessionTargetId,
} from '../lib/conversation-view.js';
import {
  REFUSAL_TEXT,
  type SupervisionAction,
  supervisionMenu,
  switchOption,
} from '../lib/supervision-menu.js';
import type { Conversation, Participant, TimelineEntry } from '../lib/types.js';

/** Interaction details: Internal / External participants, supervision menus, listeners, timeline. */
export default function InteractionDetails(props: { id: string }) {
  const { api, me, refreshMe } = useApp();
  const now = useNow();
  const [conv, setConv] = useState<Conversation | null>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [notFound, setNotFound] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState('');

  const loadTimeline = useCallback(async () => {
    setTimeline(await api.timeline(props.id).catch(() => []));
  }, [api, props.id]);

  const load = useCallback(async () => {
    try {
      setConv(await api.conversation(props.id));
      setNotFound(false);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setNotFound(true);
    }
    await loadTimeline();
  }, [api, props.id, loadTimeline]);

  useEffect(() => {
    setConv(null);
    void load();
  }, [load]);
  useReconnect(load);
  useTopic(`v2.conversations.calls.${props.id}`, (n) => {
    const c = n.eventBody as Conversation;
    if (c && c.id === props.id && Array.isArray(c.participants)) setConv(c);
    void loadTimeline();
  });

  if (notFound)
    return (
      <div className="page">
        <p role="alert">This interaction does not exist or you may not see it.</p>
        <a href="#/interactions">Back to interactions</a>
      </div>
    );
  if (!conv) return <p className="page">Loading interaction…</p>;

  const ended = !isInProgress(conv);
  const { internal, external } = sections(conv);
  const agents = activeAgents(conv);
  const mine = mySession(conv, me.id);
  const listeners = otherListeners(conv, me.id);
  const pickedAgent = agents.find((a) => a.id === picked) ?? agents[0];
  const byId = (id?: string) => conv.participants.find((p) => p.id === id);
  const sw = ended ? undefined : switchOption(me, conv, pickedAgent?.id);

  async function run(fn: () => Promise<unknown>) {
    setBusy(true);
    setError('');
    try {
      await fn();
      await load();
    } catch (e) {
      if (e instanceof ApiError) {
        setError(REFUSAL_TEXT[e.code] ?? e.message);
        // A refusal may come from a stale view of my presence or phone: refresh it.
        if (e.code === 'SUPERVISOR_NOT_AVAILABLE' || e.code === 'NO_SELECTED_PHONE')
          void refreshMe().catch(() => {});
      } else setError('Something went wrong.');
      await load();
    } finally {
      setBusy(false);
    }
  }

  function act(target: Participant, action: SupervisionAction) {
    const cid = conv!.id;
    if (action === 'monitor' || action === 'coach')
      return run(() => api.participantAction(cid, target.id, action));
    if (mine) return run(() => api.patchParticipant(cid, mine.id, { state: 'disconnected' }));
  }

  const menu = (p: Participant) => (
    <SupervisionMenuButton
      key={p.id}
      name={p.name}
      items={supervisionMenu(me, conv, p, ended)}
      busy={busy}
      onAction={(a) => void act(p, a)}
    />
  );

  const row = (p: Participant, withMenu: boolean) => (
    <li key={p.id} className="participant">
      <span className="pname">
        {p.name || p.address}
        {p.userId === me.id && isSupervisor(p) ? ' (you)' : ''}
      </span>
      {isSupervisor(p) && (
        <span className={`marker ${p.purpose}`}>
          {p.purpose === 'coach' ? 'Coach' : 'Monitor'}
          {` · ${byId(sessionTargetId(p))?.name ?? ''}`}
        </span>
      )}
      <span className={`state ${p.state}`}>{p.held ? 'held' : p.state}</span>
      {p.muted && <span className="state">muted</span>}
      {withMenu && menu(p)}
    </li>
  );

  return (
    <div className="page details">
      <p>
        <a href="#/interactions">‹ Interactions</a>
      </p>
      <h1>
        Interaction with {customerName(conv)}{' '}
        <span className={`badge ${ended ? 'ended' : 'live'}`}>{ended ? 'Ended' : 'In progress'}</span>
      </h1>
      <p className="meta">
        {conv.startTime ? `Started ${new Date(conv.startTime).toLocaleTimeString()} · ` : ''}
        {conv.startTime && !ended ? formatDuration(now - Date.parse(conv.startTime)) : ''}
      </p>
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      {mine && (
        <section className="session card" aria-label="Your session">
          <p role="status">
            You are {mine.purpose === 'coach' ? 'coaching' : 'monitoring'}{' '}
            {byId(sessionTargetId(mine))?.name ?? ''}
            {mine.state === 'alerting' ? ' — calling your phone…' : ''}
          </p>
          {sw && (
            <fieldset className="switch">
              <legend>Mode</legend>
              <label>
                <input
                  type="radio"
                  name="mode"
                  checked={mine.purpose === 'monitor'}
                  disabled={busy}
                  onChange={() => void run(() => api.patchParticipant(conv.id, mine.id, { mode: 'monitor' }))}
                />
                Monitor
              </label>
              <label title={sw.to === 'coach' ? sw.disabledReason : undefined}>
                <input
                  type="radio"
                  name="mode"
                  checked={mine.purpose === 'coach'}
                  disabled={busy || (sw.to === 'coach' && sw.disabledReason !== undefined)}
                  onChange={() =>
                    void run(async () => {
                      if (sw.restartOn) {
                        await api.patchParticipant(conv.id, mine.id, { state: 'disconnected' });
                        await api.participantAction(conv.id, sw.restartOn, 'coach');
                      } else await api.patchParticipant(conv.id, mine.id, { mode: 'coach' });
                    })
                  }
                />
                Coach
                {sw.to === 'coach' && sw.disabledReason ? (
                  <span className="reason"> ({sw.disabledReason})</span>
                ) : null}
              </label>
            </fieldset>
          )}
          <button
            type="button"
            disabled={busy}
            onClick={() => void run(() => api.patchParticipant(conv.id, mine.id, { state: 'disconnected' }))}
          >
            {mine.purpose === 'coach' ? 'Stop Coaching' : 'Stop Monitoring'}
          </button>
        </section>
      )}
      <div className="columns">
        <section aria-labelledby="internal-title" className="card">
          <h2 id="internal-title">Internal</h2>
          {agents.length > 1 && (
            <div className="multiple">
              <label>
                Multiple
                <select
                  value={pickedAgent?.id ?? ''}
                  onChange={(e) => setPicked(e.target.value)}
                  aria-label="Multiple: choose an agent"
                >
                  {agents.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name}
                    </option>
                  ))}
                </select>
              </label>
              {pickedAgent && menu(pickedAgent)}
            </div>
          )}
          <ul aria-label="Internal participants">
            {internal.map((p) => row(p, p.purpose === 'agent' && agents.length === 1))}
          </ul>
        </section>
        <section aria-labelledby="external-title" className="card">
          <h2 id="external-title">External</h2>
          <ul aria-label="External participants">{external.map((p) => row(p, true))}</ul>
        </section>
      </div>
      <section aria-labelledby="listening-title" className="card">
        <h2 id="listening-title">Also listening</h2>
        {listeners.length === 0 ? (
          <p className="empty">No other supervisor is listening.</p>
        ) : (
          <ul aria-label="Other supervisors">
            {listeners.map((p) => (
              <li key={p.id}>
                {p.name} — {p.purpose === 'coach' ? 'coaching' : 'monitoring'}{' '}
                {byId(sessionTargetId(p))?.name ?? ''}
              </li>
            ))}
          </ul>
        )}
      </section>
      <TimelineView entries={timeline} participants={conv.participants} />
    </div>
  );
}
