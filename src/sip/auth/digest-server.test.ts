import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../util/clock.js';
import { StaticCredentialProvider } from './credential-provider.js';
import { computeDigestResponse, computeHa1, type DigestAlgorithm } from './digest-algorithm.js';
import { DigestClient } from './digest-client.js';
import { formatDigestParams, parseDigestParams } from './digest-params.js';
import { type DigestOutcome, DigestServer } from './digest-server.js';

const URI = 'sip:earshot.test';

function setup(opts: { algorithms?: DigestAlgorithm[] } = {}) {
  const clock = new FakeClock();
  const server = new DigestServer({
    clock,
    realm: 'earshot.test',
    credentials: new StaticCredentialProvider({ alice: 'wonder land', bob: 'b0b' }),
    nonceLifetimeMs: 60_000,
    lockout: { maxFailures: 4, windowMs: 60_000, lockoutMs: 120_000 },
    ...opts,
  });
  return { clock, server };
}

function nonceOf(challenge: string): string {
  return parseDigestParams(challenge)?.params.get('nonce') ?? '';
}

/** Credentials computed by hand (independent of DigestClient). */
function creds(o: {
  user: string;
  password: string;
  nonce: string;
  nc?: string;
  algorithm?: DigestAlgorithm;
  uri?: string;
  method?: string;
}): string {
  const algorithm = o.algorithm ?? 'SHA-256';
  const nc = o.nc ?? '00000001';
  const uri = o.uri ?? URI;
  const ha1 = computeHa1(algorithm, o.user, 'earshot.test', o.password);
  const response = computeDigestResponse({
    algorithm,
    ha1,
    nonce: o.nonce,
    method: o.method ?? 'REGISTER',
    uri,
    qop: 'auth',
    nc,
    cnonce: 'c0ffee',
  });
  return formatDigestParams([
    ['username', o.user, true],
    ['realm', 'earshot.test', true],
    ['nonce', o.nonce, true],
    ['uri', uri, true],
    ['response', response, true],
    ['algorithm', algorithm, false],
    ['qop', 'auth', false],
    ['nc', nc, false],
    ['cnonce', 'c0ffee', true],
  ]);
}

const req = (credentials: string[], source = '127.0.0.1') => ({
  method: 'REGISTER',
  requestUri: URI,
  credentials,
  source,
});

describe('DigestServer', () => {
  it('challenges a request without credentials with SHA-256 first, then MD5, qop=auth, one nonce', async () => {
    const { server } = setup();
    const out = await server.authenticate(req([]));
    expect(out.kind).toBe('challenge');
    if (out.kind !== 'challenge') return;
    expect(out.code).toBe('SIP_AUTH_REQUIRED');
    expect(out.challenges).toHaveLength(2);
    const [sha, md5] = out.challenges.map((c) => parseDigestParams(c)?.params);
    expect(sha?.get('algorithm')).toBe('SHA-256');
    expect(md5?.get('algorithm')).toBe('MD5');
    expect(sha?.get('qop')).toBe('auth');
    expect(sha?.get('realm')).toBe('earshot.test');
    expect(sha?.get('nonce')).toBe(md5?.get('nonce'));
    expect(sha?.has('stale')).toBe(false);
  });

  it.each(['SHA-256', 'MD5'] as const)('authenticates a correct %s response', async (algorithm) => {
    const { server } = setup();
    const nonce = server.nonces.issue('earshot.test');
    const out = await server.authenticate(
      req([creds({ user: 'alice', password: 'wonder land', nonce, algorithm })]),
    );
    expect(out).toEqual({ kind: 'authenticated', username: 'alice', algorithm });
  });

  it('refuses an algorithm it did not offer by challenging again', async () => {
    const { server } = setup({ algorithms: ['SHA-256'] });
    const nonce = server.nonces.issue('earshot.test');
    const out = await server.authenticate(
      req([creds({ user: 'alice', password: 'wonder land', nonce, algorithm: 'MD5' })]),
    );
    expect(out.kind).toBe('challenge');
  });

  it('answers an unknown user and a wrong password identically (403, same code)', async () => {
    const { server } = setup();
    const nonce = server.nonces.issue('earshot.test');
    const unknown = await server.authenticate(req([creds({ user: 'mallory', password: 'x', nonce })]));
    const wrong = await server.authenticate(
      req([creds({ user: 'alice', password: 'x', nonce, nc: '00000002' })]),
    );
    expect(unknown).toEqual({ kind: 'rejected', code: 'SIP_AUTH_FAILED', status: 403 });
    expect(wrong).toEqual(unknown);
  });

  it('says stale=true for a correct response with an expired nonce, and nothing more for a wrong one', async () => {
    const { clock, server } = setup();
    const nonce = server.nonces.issue('earshot.test');
    clock.advance(60_001);
    const good = await server.authenticate(req([creds({ user: 'alice', password: 'wonder land', nonce })]));
    expect(good.kind).toBe('challenge');
    if (good.kind !== 'challenge') return;
    expect(good.code).toBe('SIP_AUTH_STALE_NONCE');
    for (const c of good.challenges) expect(parseDigestParams(c)?.params.get('stale')).toBe('true');
    expect(server.nonces.check(nonceOf(good.challenges[0] as string), 'earshot.test')).toBe('valid');
    const bad = await server.authenticate(req([creds({ user: 'alice', password: 'nope', nonce })]));
    expect(bad.kind).toBe('rejected');
  });

  it('refuses a replayed nc and accepts the next one', async () => {
    const { server } = setup();
    const nonce = server.nonces.issue('earshot.test');
    const first = creds({ user: 'alice', password: 'wonder land', nonce, nc: '00000001' });
    expect((await server.authenticate(req([first]))).kind).toBe('authenticated');
    const replay = await server.authenticate(req([first]));
    expect(replay.kind === 'challenge' && replay.code).toBe('SIP_AUTH_REPLAY');
    const next = creds({ user: 'alice', password: 'wonder land', nonce, nc: '00000002' });
    expect((await server.authenticate(req([next]))).kind).toBe('authenticated');
  });

  it('refuses credentials computed for another Request-URI or method', async () => {
    const { server } = setup();
    const nonce = server.nonces.issue('earshot.test');
    const otherUri = creds({ user: 'alice', password: 'wonder land', nonce, uri: 'sip:elsewhere' });
    expect((await server.authenticate(req([otherUri]))).kind).toBe('rejected');
    const otherMethod = creds({
      user: 'alice',
      password: 'wonder land',
      nonce,
      nc: '00000002',
      method: 'INVITE',
    });
    expect((await server.authenticate(req([otherMethod]))).kind).toBe('rejected');
  });

  it('challenges (without counting a failure) a nonce it never issued, or another realm', async () => {
    const { server } = setup();
    const forged = creds({ user: 'alice', password: 'wonder land', nonce: 'bm90LW91cnM' });
    for (let i = 0; i < 10; i++) expect((await server.authenticate(req([forged]))).kind).toBe('challenge');
    expect(server.lockout.isLocked('127.0.0.1')).toBe(false);
  });

  it('locks a source out after repeated failures, refusing even good credentials, until it expires', async () => {
    const { clock, server } = setup();
    const nonce = server.nonces.issue('earshot.test');
    const outcomes: DigestOutcome[] = [];
    for (let i = 1; i <= 4; i++) {
      outcomes.push(
        await server.authenticate(
          req([creds({ user: 'alice', password: `guess${i}`, nonce, nc: `0000000${i}` })]),
        ),
      );
    }
    expect(outcomes.map((o) => o.kind === 'rejected' && o.code)).toEqual([
      'SIP_AUTH_FAILED',
      'SIP_AUTH_FAILED',
      'SIP_AUTH_FAILED',
      'SIP_AUTH_LOCKED_OUT',
    ]);
    const good = () =>
      creds({ user: 'alice', password: 'wonder land', nonce: server.nonces.issue('earshot.test') });
    expect(await server.authenticate(req([good()]))).toEqual({
      kind: 'rejected',
      code: 'SIP_AUTH_LOCKED_OUT',
      status: 403,
    });
    expect((await server.authenticate(req([good()], '127.0.0.2'))).kind).toBe('authenticated');
    clock.advance(120_000);
    expect((await server.authenticate(req([good()]))).kind).toBe('authenticated');
  });

  it('never throws on garbage credentials', async () => {
    const { server } = setup();
    const nonce = server.nonces.issue('earshot.test');
    const garbage = [
      'Digest',
      'Basic YWxpY2U6d29uZGVy',
      `Digest realm="earshot.test", nonce="${nonce}"`,
      `Digest realm="earshot.test", nonce="${nonce}", username="alice", uri="${URI}", response="zz", qop=auth, nc=1, cnonce=""`,
      'Digest realm="earshot.test", nonce="\\',
      `Digest realm="earshot.test", algorithm=ROT13, nonce="${nonce}"`,
    ];
    for (const g of garbage) {
      const out = await server.authenticate(req([g], '10.9.9.9'));
      expect(['challenge', 'rejected']).toContain(out.kind);
    }
  });

  it('a failing credential store is an authentication failure, not a crash', async () => {
    const clock = new FakeClock();
    const server = new DigestServer({
      clock,
      realm: 'earshot.test',
      credentials: { lookup: () => Promise.reject(new Error('db down')) },
    });
    const nonce = server.nonces.issue('earshot.test');
    const out = await server.authenticate(req([creds({ user: 'alice', password: 'wonder land', nonce })]));
    expect(out.kind).toBe('rejected');
  });

  it('accepts stored HA1 values instead of passwords', async () => {
    const clock = new FakeClock();
    const server = new DigestServer({
      clock,
      realm: 'earshot.test',
      credentials: {
        lookup: async () => ({
          ha1: { 'SHA-256': computeHa1('SHA-256', 'alice', 'earshot.test', 'wonder land') },
        }),
      },
    });
    const nonce = server.nonces.issue('earshot.test');
    const ok = await server.authenticate(req([creds({ user: 'alice', password: 'wonder land', nonce })]));
    expect(ok.kind).toBe('authenticated');
    const md5 = await server.authenticate(
      req([creds({ user: 'alice', password: 'wonder land', nonce, algorithm: 'MD5', nc: '00000002' })]),
    );
    expect(md5.kind).toBe('rejected');
  });
});

describe('DigestClient against DigestServer', () => {
  it('answers a 401 with the preferred algorithm and counts nc up per request', async () => {
    const { server } = setup();
    const client = new DigestClient({ username: 'bob', password: 'b0b' });
    expect(client.authorize('INVITE', URI)).toBeUndefined();
    client.handleChallenge(401, server.challenge());
    const first = client.authorize('REGISTER', URI);
    expect(first?.header).toBe('Authorization');
    expect(parseDigestParams(first?.value ?? '')?.params.get('algorithm')).toBe('SHA-256');
    expect(await server.authenticate(req([first?.value ?? '']))).toMatchObject({
      kind: 'authenticated',
      username: 'bob',
    });
    const second = client.authorize('REGISTER', URI);
    expect(parseDigestParams(second?.value ?? '')?.params.get('nc')).toBe('00000002');
    expect((await server.authenticate(req([second?.value ?? '']))).kind).toBe('authenticated');
  });

  it('answers a 407 with Proxy-Authorization, echoes opaque, falls back to MD5', () => {
    const client = new DigestClient({ username: 'bob', password: 'b0b' });
    client.handleChallenge(407, ['Digest realm="trunk", nonce="abc", opaque="xyz", qop="auth,auth-int"']);
    const a = client.authorize('INVITE', 'sip:5000@trunk');
    expect(a?.header).toBe('Proxy-Authorization');
    const p = parseDigestParams(a?.value ?? '')?.params;
    expect(p?.get('opaque')).toBe('xyz');
    expect(p?.get('algorithm')).toBe('MD5');
    const expected = computeDigestResponse({
      algorithm: 'MD5',
      ha1: computeHa1('MD5', 'bob', 'trunk', 'b0b'),
      nonce: 'abc',
      method: 'INVITE',
      uri: 'sip:5000@trunk',
      qop: 'auth',
      nc: '00000001',
      cnonce: p?.get('cnonce'),
    });
    expect(p?.get('response')).toBe(expected);
  });

  it('re-answers a stale challenge but refuses to loop on rejected credentials', async () => {
    const { clock, server } = setup();
    const client = new DigestClient({ username: 'bob', password: 'b0b' });
    client.handleChallenge(401, server.challenge());
    client.authorize('REGISTER', URI);
    clock.advance(61_000);
    const stale = await server.authenticate(req([client.authorize('REGISTER', URI)?.value ?? '']));
    expect(stale.kind === 'challenge' && stale.code).toBe('SIP_AUTH_STALE_NONCE');
    if (stale.kind !== 'challenge') return;
    client.handleChallenge(401, stale.challenges);
    expect((await server.authenticate(req([client.authorize('REGISTER', URI)?.value ?? '']))).kind).toBe(
      'authenticated',
    );
    expect(() => client.handleChallenge(401, server.challenge())).toThrow(
      expect.objectContaining({ code: 'SIP_AUTH_CHALLENGE_REJECTED' }),
    );
  });

  it('throws SIP_AUTH_CHALLENGE_UNSUPPORTED for challenges it cannot answer', () => {
    const client = new DigestClient({ username: 'bob', password: 'b0b' });
    for (const c of [
      ['Basic realm="x"'],
      ['Digest realm="x", nonce="n", algorithm=AKAv1-MD5'],
      ['Digest realm="x", nonce="n", qop="auth-int"'],
    ]) {
      expect(() => client.handleChallenge(401, c)).toThrow(
        expect.objectContaining({ code: 'SIP_AUTH_CHALLENGE_UNSUPPORTED' }),
      );
    }
  });
});
