/**
 * A small client of Earshot's REST API for benchmarks (real HTTP on loopback): log in once per
 * user, then JSON requests with the bearer token; `pool` runs tasks with bounded concurrency.
 */

export interface ApiReply<T> {
  status: number;
  body: T;
}

export class BenchApi {
  private readonly tokens = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  async login(username: string, password: string): Promise<void> {
    const r = await fetch(`${this.baseUrl}/api/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
    this.tokens.set(username, ((await r.json()) as { accessToken: string }).accessToken);
  }

  async call<T = unknown>(
    username: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiReply<T>> {
    const token = this.tokens.get(username);
    if (!token) throw new Error(`not logged in: ${username}`);
    const r = await fetch(`${this.baseUrl}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Every page of a list endpoint (`entities`, `total`), 100 per page, bounded to 100 pages. */
  async all<T>(username: string, path: string): Promise<T[]> {
    const out: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let page = 1; page <= 100; page++) {
      const r = await this.call<{ entities: T[]; total: number }>(
        username,
        'GET',
        `${path}${sep}pageSize=100&pageNumber=${page}`,
      );
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
      out.push(...r.body.entities);
      if (r.body.entities.length < 100 || out.length >= r.body.total) break;
    }
    return out;
  }
}

/** Runs `task` over `items`, at most `concurrency` at a time; rejects on the first failure. */
export async function pool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
