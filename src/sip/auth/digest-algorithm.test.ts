import { describe, expect, it } from 'vitest';
import { computeDigestResponse, computeHa1, digestHash, parseDigestAlgorithm } from './digest-algorithm.js';
import { formatDigestParams, parseDigestParams } from './digest-params.js';

describe('digest computations match the RFC test vectors', () => {
  // RFC 7616 §3.9.1: realm "http-auth@example.org", user "Mufasa", password "Circle of Life".
  const rfc7616 = {
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth' as const,
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  it('RFC 7616 §3.9.1 with MD5 gives 8ca523f5…', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    expect(computeDigestResponse({ algorithm: 'MD5', ha1, ...rfc7616 })).toBe(
      '8ca523f5e9506fed4657c9700eebdbec',
    );
  });

  it('RFC 7616 §3.9.1 with SHA-256 gives 753927fa…', () => {
    const ha1 = computeHa1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    expect(computeDigestResponse({ algorithm: 'SHA-256', ha1, ...rfc7616 })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('RFC 2617 §3.5 (MD5, qop=auth) gives 6629fae4…', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const response = computeDigestResponse({
      algorithm: 'MD5',
      ha1,
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('-sess variants hash HA1 with nonce and cnonce (RFC 7616 §3.4.2)', () => {
    const ha1 = computeHa1('SHA-256', 'u', 'r', 'p');
    const input = {
      ha1,
      nonce: 'n',
      method: 'REGISTER',
      uri: 'sip:r',
      qop: 'auth' as const,
      nc: '00000001',
      cnonce: 'c',
    };
    const sess = computeDigestResponse({ algorithm: 'SHA-256-sess', ...input });
    const sessHa1 = digestHash('SHA-256', `${ha1}:n:c`);
    expect(sess).toBe(computeDigestResponse({ algorithm: 'SHA-256', ...input, ha1: sessHa1 }));
    expect(sess).not.toBe(computeDigestResponse({ algorithm: 'SHA-256', ...input }));
  });

  it('SHA-512-256 is the truncated SHA-512/256, not a truncated SHA-512', () => {
    expect(digestHash('SHA-512-256', 'abc')).toBe(
      '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23',
    );
  });

  it('algorithm names parse case-insensitively; absent means MD5; unknown is refused', () => {
    expect(parseDigestAlgorithm(undefined)).toBe('MD5');
    expect(parseDigestAlgorithm('sha-256')).toBe('SHA-256');
    expect(parseDigestAlgorithm('md5-SESS')).toBe('MD5-sess');
    expect(parseDigestAlgorithm('AKAv1-MD5')).toBeUndefined();
  });
});

describe('digest header parameters', () => {
  it('parses tokens, quoted strings with escapes and commas inside quotes', () => {
    const p = parseDigestParams(
      'Digest username="a\\"b", realm="x,y",nc=00000001 ,  qop=auth, uri="sip:a@b;transport=tcp"',
    );
    expect(p?.scheme).toBe('Digest');
    expect(p?.params.get('username')).toBe('a"b');
    expect(p?.params.get('realm')).toBe('x,y');
    expect(p?.params.get('nc')).toBe('00000001');
    expect(p?.params.get('qop')).toBe('auth');
    expect(p?.params.get('uri')).toBe('sip:a@b;transport=tcp');
  });

  it('refuses malformed values: unterminated quote, duplicate parameter, missing =, oversize', () => {
    expect(parseDigestParams('Digest realm="x')).toBeUndefined();
    expect(parseDigestParams('Digest realm="x", realm="y"')).toBeUndefined();
    expect(parseDigestParams('Digest realm')).toBeUndefined();
    expect(parseDigestParams('Digest a=b c=d')).toBeUndefined();
    expect(parseDigestParams(`Digest realm="${'x'.repeat(5000)}"`)).toBeUndefined();
  });

  it('formats and parses back (round trip)', () => {
    const text = formatDigestParams([
      ['realm', 'we "quote"', true],
      ['algorithm', 'SHA-256', false],
    ]);
    expect(text).toBe('Digest realm="we \\"quote\\"", algorithm=SHA-256');
    const back = parseDigestParams(text);
    expect(back?.params.get('realm')).toBe('we "quote"');
    expect(back?.params.get('algorithm')).toBe('SHA-256');
  });
});
