import { backoffDelay } from './lib/backoff.js';

/**
 * Connection states of the notifications socket.
 *
 *   closed ──start()──▶ connecting ──open──▶ open
 *                           ▲                 │ socket drops
 *                           └── timer ── reconnecting ◀┘
 *   any ──close()──▶ closed
 */
export type LinkState = 'closed' | 'connecting' | 'open' | 'reconnecting';

export interface Notification {
  topic: string;
  eventBody: unknown;
}

type Listener = (n: Notification) => void;

/**
 * The notifications WebSocket of CONTRACT.md §5: subscribes to the union of every component's
 * topics, resubscribes after reconnecting (with backoff), and tells listeners when the link comes
 * back so they refetch whatever they may have missed (no stale state after a drop).
 */
export class NotificationsClient {
  private ws: WebSocket | null = null;
  private state: LinkState = 'closed';
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly topics = new Map<string, Set<Listener>>();
  private readonly stateListeners = new Set<
    (s: LinkState, info: { retryInMs?: number; error?: string }) => void
  >();
  private readonly reconnectListeners = new Set<() => void>();

  constructor(
    private readonly token: () => string | null,
    /** Called when the socket cannot open: lets the app check whether the token expired. */
    private readonly onFailure: () => void = () => {},
  ) {}

  get linkState(): LinkState {
    return this.state;
  }

  start(): void {
    if (this.state !== 'closed') return;
    this.connect();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    this.setState('closed', {});
  }

  /** Listens to `topic` until the returned function is called. */
  subscribe(topic: string, listener: Listener): () => void {
    let set = this.topics.get(topic);
    if (!set) {
      set = new Set();
      this.topics.set(topic, set);
      this.send({ subscribe: [topic] });
    }
    set.add(listener);
    return () => {
      const s = this.topics.get(topic);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) {
        this.topics.delete(topic);
        this.send({ unsubscribe: [topic] });
      }
    };
  }

  onState(fn: (s: LinkState, info: { retryInMs?: number; error?: string }) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Called after the link comes back from a drop: refetch, because events may have been missed. */
  onReconnect(fn: () => void): () => void {
    this.reconnectListeners.add(fn);
    return () => this.reconnectListeners.delete(fn);
  }

  private connect(): void {
    const token = this.token();
    if (!token) {
      this.setState('closed', {});
      return;
    }
    const reconnecting = this.attempt > 0;
    this.setState('connecting', {});
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(
      `${proto}//${location.host}/api/v2/notifications?access_token=${encodeURIComponent(token)}`,
    );
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.attempt = 0;
      if (this.topics.size) this.send({ subscribe: [...this.topics.keys()] });
      this.setState('open', {});
      if (reconnecting) for (const fn of this.reconnectListeners) fn();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      let msg: Partial<Notification> & { error?: unknown };
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!msg.topic) return;
      const set = this.topics.get(msg.topic);
      if (!set) return;
      const n: Notification = { topic: msg.topic, eventBody: msg.eventBody };
      for (const fn of [...set]) {
        try {
          fn(n);
        } catch {
          // A listener's bug must not stop the others.
        }
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!opened) this.onFailure();
      if (this.state === 'closed') return;
      const retryInMs = backoffDelay(this.attempt++);
      this.setState('reconnecting', { retryInMs });
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.state === 'reconnecting') this.connect();
      }, retryInMs);
    };
  }

  private send(msg: unknown): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private setState(s: LinkState, info: { retryInMs?: number; error?: string }): void {
    this.state = s;
    for (const fn of this.stateListeners) fn(s, info);
  }

  dump(): { state: LinkState; attempt: number; topics: string[] } {
    return { state: this.state, attempt: this.attempt, topics: [...this.topics.keys()] };
  }
}
