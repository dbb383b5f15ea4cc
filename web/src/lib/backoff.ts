/**
 * Reconnection delays: exponential from `baseMs`, capped at `maxMs`, with up to `jitter` of
 * random spread so a restarted server is not hit by every console at once.
 */
export function backoffDelay(
  attempt: number,
  baseMs = 500,
  maxMs = 15_000,
  jitter = 0.2,
  rnd = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp * (1 - jitter + 2 * jitter * rnd()));
}
