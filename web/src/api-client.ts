import type { Conversation, Me, Queue, QueueMember, TimelineEntry } from './lib/types.js';

const TOKEN_KEY = 'earshot.token';

/** An API error with the stable `code` of the body `{"error":{"code","message"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The REST client of CONTRACT.md §4. The token lives in sessionStorage (one tab, one login).
 * Every 401 clears it and calls `onUnauthorized`, which sends the console back to the login page.
 */
export class ApiClient {
  onUnauthorized: (message: string) => void = () => {};

  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  async login(username: string, password: string): Promise<void> {
    const res = await fetch('/api/v2/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) throw await toError(res);
    const body = (await res.json()) as { accessToken: string };
    sessionStorage.setItem(TOKEN_KEY, body.accessToken);
  }

  logout(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`/api/v2${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server cannot be reached.');
    }
    if (res.status === 401) {
      this.logout();
      const err = await toError(res);
      this.onUnauthorized('Your session has expired. Please sign in again.');
      throw err;
    }
    if (!res.ok) throw await toError(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  me(): Promise<Me> {
    return this.request<Me>('GET', '/users/me');
  }
  phoneCredentials(): Promise<{ sipUser: string; password: string; domain?: string }> {
    return this.request('GET', '/users/me/phone/credentials');
  }
  setPresence(userId: string, presence: string): Promise<unknown> {
    return this.request('PUT', `/users/${enc(userId)}/presence`, { presence });
  }
  setRoutingStatus(userId: string, status: 'IDLE' | 'OFF_QUEUE'): Promise<unknown> {
    return this.request('PUT', `/users/${enc(userId)}/routingstatus`, { status });
  }
  async activeConversations(): Promise<Conversation[]> {
    return (await this.request<{ entities: Conversation[] }>('GET', '/conversations/calls?state=active'))
      .entities;
  }
  conversation(id: string): Promise<Conversation> {
    return this.request('GET', `/conversations/calls/${enc(id)}`);
  }
  async timeline(id: string): Promise<TimelineEntry[]> {
    return (await this.request<{ entities: TimelineEntry[] }>('GET', `/conversations/${enc(id)}/timeline`))
      .entities;
  }
  async queues(): Promise<Queue[]> {
    return (await this.request<{ entities: Queue[] }>('GET', '/routing/queues')).entities;
  }
  async queueMembers(queueId: string): Promise<QueueMember[]> {
    const body = await this.request<{ entities: Record<string, unknown>[] }>(
      'GET',
      `/routing/queues/${enc(queueId)}/members`,
    );
    return body.entities.map(normaliseMember);
  }
  patchParticipant(cid: string, pid: string, body: Record<string, unknown>): Promise<unknown> {
    return this.request('PATCH', `/conversations/calls/${enc(cid)}/participants/${enc(pid)}`, body);
  }
  participantAction(
    cid: string,
    pid: string,
    action: 'monitor' | 'coach' | 'replace' | 'consult',
    body?: Record<string, unknown>,
  ): Promise<{ participantId?: string; state?: string }> {
    return this.request(
      'POST',
      `/conversations/calls/${enc(cid)}/participants/${enc(pid)}/${action}`,
      body ?? {},
    );
  }
  async list(path: string): Promise<Record<string, unknown>[]> {
    return (await this.request<{ entities: Record<string, unknown>[] }>('GET', path)).entities;
  }
}

const enc = encodeURIComponent;

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(
      res.status,
      body.error?.code ?? `HTTP_${res.status}`,
      body.error?.message ?? res.statusText,
    );
  } catch {
    return new ApiError(res.status, `HTTP_${res.status}`, res.statusText || 'Request failed');
  }
}

/** Queue members may come flat or shaped like the vendor's (`user`, `routingStatus.status`). */
function normaliseMember(m: Record<string, unknown>): QueueMember {
  const user = (m.user ?? {}) as Record<string, unknown>;
  const rs = m.routingStatus;
  const presence = m.presence;
  return {
    id: String(m.id ?? user.id ?? ''),
    name: String(m.name ?? user.name ?? m.username ?? ''),
    routingStatus:
      typeof rs === 'string' ? rs : String((rs as { status?: string } | undefined)?.status ?? ''),
    presence:
      typeof presence === 'string'
        ? presence
        : String(
            (presence as { presenceDefinition?: { systemPresence?: string } } | undefined)?.presenceDefinition
              ?.systemPresence ?? '',
          ),
  };
}
