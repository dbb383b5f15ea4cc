import { useEffect, useState } from 'react';
import { ApiError } from '../api-client.js';
import { useApp } from '../app-context.js';

type Tab = 'users' | 'roles' | 'phones' | 'queues';

/** Where each admin list comes from, and the columns shown (see web/README.md for the assumptions). */
const TABS: Record<Tab, { title: string; path: string; columns: [string, string][] }> = {
  users: {
    title: 'Users',
    path: '/users',
    columns: [
      ['username', 'Username'],
      ['name', 'Name'],
      ['roles', 'Roles'],
      ['presence', 'Presence'],
      ['phone', 'Phone'],
    ],
  },
  roles: {
    title: 'Roles',
    path: '/authorization/roles',
    columns: [
      ['name', 'Role'],
      ['permissions', 'Permissions'],
    ],
  },
  phones: {
    title: 'Phones',
    path: '/telephony/phones',
    columns: [
      ['name', 'Phone'],
      ['kind', 'Kind'],
      ['sipUser', 'SIP user'],
      ['number', 'Number'],
      ['userName', 'User'],
    ],
  },
  queues: {
    title: 'Queues',
    path: '/routing/queues',
    columns: [
      ['name', 'Queue'],
      ['number', 'Number'],
      ['memberCount', 'Members'],
    ],
  },
};

export default function AdminPage(props: { tab: Tab }) {
  const { api } = useApp();
  const tab = TABS[props.tab];
  const [rows, setRows] = useState<Record<string, unknown>[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setRows(null);
    setError('');
    api
      .list(tab.path)
      .then(setRows, (e) =>
        setError(
          e instanceof ApiError && e.status === 404
            ? `This server does not list ${tab.title.toLowerCase()} yet.`
            : `Could not load ${tab.title.toLowerCase()}.`,
        ),
      );
  }, [api, tab]);

  return (
    <div className="page">
      <h1>Admin</h1>
      <nav aria-label="Admin sections" className="tabs">
        {(Object.keys(TABS) as Tab[]).map((t) => (
          <a key={t} href={`#/admin/${t}`} aria-current={t === props.tab ? 'page' : undefined}>
            {TABS[t].title}
          </a>
        ))}
      </nav>
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      {rows && (
        <table aria-label={tab.title}>
          <thead>
            <tr>
              {tab.columns.map(([, label]) => (
                <th key={label} scope="col">
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={String(r.id ?? i)}>
                {tab.columns.map(([key]) => (
                  <td key={key}>{cell(r[key])}</td>
                ))}
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={tab.columns.length} className="empty">
                  None.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (Array.isArray(v)) return v.map(cell).join(', ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return String(o.name ?? o.kind ?? JSON.stringify(o));
  }
  return String(v);
}
