/**
 * Where digest credentials come from. The registrar and the digest server never know where users live:
 * `calls/` implements this over the store (phones of kind `sip`); tests use `StaticCredentialProvider`.
 */
export type DigestCredentials =
  /** The plain password (the server computes HA1 per algorithm). */
  | { readonly password: string }
  /** Precomputed H(username:realm:password) per base algorithm, for stores that keep no passwords. */
  | { readonly ha1: Readonly<Partial<Record<'MD5' | 'SHA-256' | 'SHA-512-256', string>>> };

export interface CredentialProvider {
  /** The credentials of `username` in `realm`, or undefined when there is no such user. */
  lookup(username: string, realm: string): Promise<DigestCredentials | undefined>;
}

/** An in-memory provider: username -> password. */
export class StaticCredentialProvider implements CredentialProvider {
  private readonly users: Map<string, string>;

  constructor(users: Readonly<Record<string, string>> | ReadonlyMap<string, string> = {}) {
    this.users = new Map(users instanceof Map ? users : Object.entries(users));
  }

  set(username: string, password: string): void {
    this.users.set(username, password);
  }

  delete(username: string): void {
    this.users.delete(username);
  }

  async lookup(username: string): Promise<DigestCredentials | undefined> {
    const password = this.users.get(username);
    return password === undefined ? undefined : { password };
  }
}
