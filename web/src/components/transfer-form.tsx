import { type FormEvent, useEffect, useState } from 'react';
import { useApp } from '../app-context.js';
import type { Queue } from '../lib/types.js';

type TargetKind = 'userId' | 'queueId' | 'address';

/** Blind or consult transfer to a user, a queue or a number (CONTRACT.md §4 replace / consult). */
export function TransferForm(props: {
  busy: boolean;
  onTransfer(kind: 'blind' | 'consult', target: Record<string, string>): void;
}) {
  const { api } = useApp();
  const [kind, setKind] = useState<TargetKind>('queueId');
  const [value, setValue] = useState('');
  const [queues, setQueues] = useState<Queue[]>([]);
  useEffect(() => {
    api.queues().then(setQueues, () => {});
  }, [api]);

  const submit = (mode: 'blind' | 'consult') => (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) props.onTransfer(mode, { [kind]: value.trim() });
  };

  return (
    <form className="transfer" aria-label="Transfer" onSubmit={submit('blind')}>
      <label>
        Transfer to
        <select
          value={kind}
          onChange={(e) => {
            setKind(e.target.value as TargetKind);
            setValue('');
          }}
        >
          <option value="queueId">Queue</option>
          <option value="userId">User</option>
          <option value="address">Number</option>
        </select>
      </label>
      {kind === 'queueId' ? (
        <label>
          Target queue
          <select value={value} onChange={(e) => setValue(e.target.value)}>
            <option value="">Choose…</option>
            {queues.map((q) => (
              <option key={q.id} value={q.id}>
                {q.name}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <label>
          {kind === 'userId' ? 'Target user id' : 'Target number'}
          <input value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
      )}
      <button type="submit" disabled={props.busy || !value}>
        Blind transfer
      </button>
      <button type="button" disabled={props.busy || !value} onClick={submit('consult')}>
        Consult
      </button>
    </form>
  );
}
