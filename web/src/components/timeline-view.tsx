import { describeEntry, sessionsFromTimeline } from '../lib/timeline-sessions.js';
import type { Participant, TimelineEntry } from '../lib/types.js';

const time = (iso?: string) => (iso ? new Date(iso).toLocaleTimeString() : '—');

/** The live timeline (R13): every supervision session, then every event in order. */
export function TimelineView(props: { entries: TimelineEntry[]; participants: Participant[] }) {
  const { entries, participants } = props;
  const sessions = sessionsFromTimeline(entries);
  const name = (id?: string) => participants.find((p) => p.id === id)?.name ?? '—';
  return (
    <section aria-labelledby="tl-title" className="timeline">
      <h2 id="tl-title">Timeline</h2>
      <table aria-label="Supervision sessions">
        <thead>
          <tr>
            <th scope="col">Supervisor</th>
            <th scope="col">Mode</th>
            <th scope="col">Target</th>
            <th scope="col">Start</th>
            <th scope="col">End</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={`${s.participantId}-${s.mode}-${s.start}`} data-mode={s.mode}>
              <td>{name(s.participantId)}</td>
              <td>{s.mode === 'coach' ? 'Coach' : 'Monitor'}</td>
              <td>{name(s.targetParticipantId)}</td>
              <td>{time(s.start)}</td>
              <td>{s.end ? time(s.end) : 'running'}</td>
              <td>{s.reason?.replaceAll('-', ' ') ?? ''}</td>
            </tr>
          ))}
          {sessions.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No supervision sessions yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <ol className="events" aria-label="Timeline events">
        {entries.map((e, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the timeline is append-only, so an index is stable
          <li key={`${e.at}-${i}`}>
            <time dateTime={e.at}>{time(e.at)}</time> {describeEntry(e, participants)}
          </li>
        ))}
      </ol>
    </section>
  );
}
