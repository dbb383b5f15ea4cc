import { type FormEvent, useState } from 'react';
import { type ApiClient, ApiError } from '../api-client.js';

export function LoginPage(props: { api: ApiClient; message: string; onLoggedIn(): Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await props.api.login(username, password);
      await props.onLoggedIn();
    } catch (err) {
      setError(
        err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 400)
          ? 'Wrong username or password.'
          : 'The server cannot be reached. Try again in a moment.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title" className="card">
        <h1 id="login-title">Sign in to Earshot</h1>
        {props.message && !error && (
          <p className="banner info" role="status">
            {props.message}
          </p>
        )}
        {error && (
          <p className="banner error" role="alert">
            {error}
          </p>
        )}
        <label>
          Username
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="current-password"
            required
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
