import { demoError } from './demo-errors.js';

/** A participant as the REST API shows it (CONTRACT.md §4), the fields the demo reads. */
export interface ApiParticipant {
  readonly id: string;
  readonly purpose: string;
  readonly userId?: string;
  readonly name: string;
  readonly address?: string;
  readonly state: string;
  readonly held?: boolean;
}

export interface ApiConversation {
  readonly id: string;
  readonly state: string;
  readonly participants: readonly ApiParticipant[];
}

/**
 * The few REST calls a simulated agent makes, as the console would (CONTRACT.md §4): log in, set
 * presence and routing status, find its own call, hold / resume it, blind-transfer it.
 */
export class DemoApiClient {
  private token: string | undefined;
  userId: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** `POST /api/v2/auth/login`, then `GET /api/v2/users/me` for our id. */
  async login(): Promise<string> {
    const r = await this.call<{ accessToken: string }>('POST', '/api/v2/auth/login', {
      username: this.username,
      password: this.password,
    });
    this.token = r.accessToken;
    const me = await this.call<{ id: string }>('GET', '/api/v2/users/me');
    this.userId = me.id;
    return me.id;
  }

  /** `GET /api/v2/users/me`: our presence and routing status. */
  me(): Promise<{ id: string; presence: string; routingStatus: string }> {
    return this.call('GET', '/api/v2/users/me');
  }

  setPresence(presence: string): Promise<unknown> {
    return this.call('PUT', `/api/v2/users/${this.myId()}/presence`, { presence });
  }

  setRoutingStatus(status: 'IDLE' | 'OFF_QUEUE'): Promise<unknown> {
    return this.call('PUT', `/api/v2/users/${this.myId()}/routingstatus`, { status });
  }

  /** Our live call: the active conversation in which we are a connected or held agent. */
  async myCall(): Promise<{ conversation: ApiConversation; me: ApiParticipant } | undefined> {
    const list = await this.call<{ entities: ApiConversation[] }>(
      'GET',
      '/api/v2/conversations/calls?state=active',
    );
    for (const c of list.entities) {
      const me = c.participants.find(
        (p) =>
          p.userId === this.userId &&
          p.purpose === 'agent' &&
          (p.state === 'connected' || p.state === 'held'),
      );
      if (me) return { conversation: c, me };
    }
    return undefined;
  }

  /** `PATCH …/participants/{pid} {"held":…}`. */
  setHeld(conversationId: string, participantId: string, held: boolean): Promise<unknown> {
    return this.call('PATCH', `/api/v2/conversations/calls/${conversationId}/participants/${participantId}`, {
      held,
    });
  }

  /** Blind transfer: `POST …/participants/{pid}/replace {"userId"}`. */
  transferToUser(conversationId: string, participantId: string, userId: string): Promise<unknown> {
    return this.call(
      'POST',
      `/api/v2/conversations/calls/${conversationId}/participants/${participantId}/replace`,
      { userId },
    );
  }

  private myId(): string {
    if (!this.userId) throw demoError('DEMO_API_FAILED', `${this.username}: not logged in`);
    return this.userId;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw demoError('DEMO_API_FAILED', `${method} ${path}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let code = '';
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
      } catch {
        /* not JSON */
      }
      throw demoError('DEMO_API_FAILED', `${method} ${path}: ${res.status} ${code}`, {
        status: res.status,
        code,
      });
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
