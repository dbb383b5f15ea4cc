import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/message/parse-message.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/sip-message.js';
import { SipParseError } from '../../src/sip/message/sip-parse-error.js';
import { serializeUri, unescapeUri } from '../../src/sip/message/sip-uri.js';
import { SipUserAgent } from '../../src/sip/ua/sip-user-agent.js';
import { loadTorture, TORTURE_DIR, tortureNames } from './torture-fixtures.js';
import { optionsRequest, UdpPeer } from './udp-peer.js';

/**
 * RFC 4475 (SIP torture test messages): every valid message parses with the right fields, every
 * invalid one is answered as the RFC says or dropped, and the server answers an OPTIONS after each.
 */

/** What the running UA must do with each message. `drop`: no answer at all. */
const EXPECTED: Record<string, number | 'drop'> = {
  // §3.1.1 valid messages (our INVITE handler declines with 603 to show the INVITE got through).
  wsinv: 481, // its To tag names a dialog this UA does not have
  intmeth: 501, // "Endpoints will generate a 501"
  esc01: 603,
  escnull: 405, // REGISTER without a registrar in this UA
  esc02: 501, // RE%47IST%45R is an unknown method, not REGISTER
  lwsdisp: 200,
  longreq: 603,
  dblreq: 405, // only the REGISTER is read; the bytes after its Content-Length are discarded
  semiuri: 200,
  transports: 200,
  mpart01: 405, // out-of-dialog MESSAGE is not served
  unreason: 'drop', // a response matching no transaction
  noreason: 'drop',
  // §3.1.2 invalid messages
  badinv01: 400,
  clerr: 400,
  ncl: 400,
  scalar02: 400,
  scalarlg: 'drop',
  quotbal: 400,
  ltgtruri: 400,
  lwsruri: 400,
  lwsstart: 400,
  trws: 400,
  escruri: 400,
  baddate: 603, // "an element … MAY accept it": the Date header is not interpreted
  regbadct: 400,
  badaspec: 400,
  // RFC 4475 §3.1.2.13: "reasonable always to reject this kind of error with a 400". The RFC's
  // archived baddn ends after "l: 0" CRLF, with no empty line after the headers.
  baddn: 400,
  badvers: 505,
  mismatch01: 400,
  mismatch02: 400,
  bigcode: 'drop',
  // §3.2 transaction layer
  badbranch: 200,
  // §3.3 application layer
  insuf: 400,
  unkscm: 416,
  novelsc: 416,
  unksm2: 405, // a registrar answers 400; this UA has none
  bext01: 420,
  invut: 415,
  regaut01: 405, // a registrar challenges (401); this UA has none
  multi01: 400,
  mcl01: 400,
  bcast: 'drop',
  zeromf: 200, // OPTIONS with Max-Forwards 0 is answered by the endpoint
  cparam01: 405,
  cparam02: 405,
  regescrt: 405,
  sdp01: 406,
  inv2543: 603,
};

const VALID = [
  'wsinv',
  'intmeth',
  'esc01',
  'escnull',
  'esc02',
  'lwsdisp',
  'longreq',
  'dblreq',
  'semiuri',
  'transports',
  'mpart01',
  'unreason',
  'noreason',
  'badbranch',
  'baddate',
  'unkscm',
  'novelsc',
  'unksm2',
  'bext01',
  'invut',
  'regaut01',
  'bcast',
  'zeromf',
  'cparam01',
  'cparam02',
  'regescrt',
  'sdp01',
  'inv2543',
  'regbadct', // parsed (Contact is parsed on demand), then refused with 400 by the UA core
];

function req(name: string): SipRequest {
  const m = parseMessage(loadTorture(name));
  if (!m.isRequest) throw new Error(`${name} is not a request`);
  return m;
}

function res(name: string): SipResponse {
  const m = parseMessage(loadTorture(name));
  if (m.isRequest) throw new Error(`${name} is not a response`);
  return m;
}

describe('RFC 4475 fixtures', () => {
  it('has one fixture per named test of sections 3.1 to 3.3, each with an expectation', () => {
    expect(tortureNames()).toEqual(Object.keys(EXPECTED).sort());
  });

  // SHA256SUMS holds the digests of the files of RFC 4475 Appendix A (its bit-exact archive of
  // each message), so each decoded fixture must be the RFC's message byte for byte.
  const archive = new Map(
    readFileSync(join(TORTURE_DIR, 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [digest, file] = line.split(/\s+/);
        return [(file ?? '').replace(/\.dat$/, ''), digest] as const;
      }),
  );

  it('has a digest of the RFC archive file for every fixture', () => {
    expect([...archive.keys()].sort()).toEqual(tortureNames());
  });

  for (const name of tortureNames()) {
    it(`${name} decodes to the RFC archive's ${name}.dat byte for byte`, () => {
      expect(createHash('sha256').update(loadTorture(name)).digest('hex')).toBe(archive.get(name));
    });
  }

  for (const name of VALID) {
    it(`${name} parses and serializes back to a parseable message`, () => {
      const m = parseMessage(loadTorture(name));
      const again = parseMessage(m.toBuffer());
      expect(again.callId).toBe(m.callId);
      expect(again.cseq).toEqual(m.cseq);
      expect(again.via.length).toBe(m.via.length);
      expect(again.body.equals(m.body)).toBe(true);
    });
  }

  for (const name of Object.keys(EXPECTED).filter((n) => !VALID.includes(n))) {
    it(`${name} is refused by the parser with a typed error`, () => {
      let err: unknown;
      try {
        parseMessage(loadTorture(name));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SipParseError);
      expect((err as SipParseError).reason.length).toBeGreaterThan(0);
    });
  }
});

describe('RFC 4475 valid messages: fields', () => {
  it('wsinv: folding, LWS, escapes in quotes, compact and long forms, leading zeros', () => {
    const m = req('wsinv');
    expect(m.method).toBe('INVITE');
    expect(m.uri.kind === 'sip' && m.uri.params.has('unknownparam')).toBe(true);
    expect(m.toTag).toBe('1918181833n');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.fromTag).toBe('98asjd8');
    expect(m.maxForwards).toBe(68);
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.via.map((v) => [v.transport, v.host, v.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.get('subject')).toBe('');
    expect(m.get('newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(m.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const contact = m.getNameAddrs('contact');
    expect(contact).toHaveLength(1);
    expect(contact[0]?.displayName).toBe('Quoted string ""');
    expect(contact[0]?.params.get('newparam')).toBe('newvalue');
    expect(contact[0]?.params.get('secondparam')).toBeNull();
    expect(contact[0]?.params.get('q')).toBe('0.33');
    expect(m.getNameAddrs('route')[0]?.uri.kind === 'sip').toBe(true);
    expect(m.body.length).toBe(150);
  });

  it('intmeth: unusual token characters, quoted NUL, UTF-8 parameters', () => {
    const m = req('intmeth');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.uri.kind === 'sip' && m.uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(m.uri.kind === 'sip' && m.uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(m.via[0]?.params.get('branch')).toBe("z9hG4bK-.!%66*_+`'~");
    expect(m.to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(m.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(m.from.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(m.fromTag).toBe("_token~1'+`*%!-.");
    expect(m.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.maxForwards).toBe(255);
    expect(m.get("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
  });

  it('esc01 and escnull: escapes in URIs are kept and compare unescaped', () => {
    const m = req('esc01');
    expect(m.uri.kind === 'sip' && unescapeUri(m.uri.user ?? '')).toBe('sips:user@example.com');
    expect(m.to.uri.kind === 'sip' && unescapeUri(m.to.uri.user ?? '')).toBe('user');
    expect(m.contentType).toBe('application/sdp');
    const c = m.getNameAddrs('contact')[0];
    expect(c && serializeUri(c.uri)).toBe('sip:cal%6Cer@host5.example.net;%6c%72;n%61me=v%61lue%25%34%31');
    const n = req('escnull');
    expect(n.getNameAddrs('contact')).toHaveLength(2);
  });

  it('esc02, lwsdisp, semiuri, transports: methods, display names, user parts, transports', () => {
    expect(req('esc02').method).toBe('RE%47IST%45R');
    expect(req('esc02').from.displayName).toBe('%Z%45');
    // "C%6Fntact" is an unknown header field, not a third Contact (% escapes nothing in a name).
    expect(req('esc02').getNameAddrs('contact')).toHaveLength(2);
    expect(req('esc02').get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(req('esc02').via[0]?.params.get('branch')).toBe('z9hG4bK209%fzsnel234');
    expect(req('lwsdisp').from.displayName).toBe('caller');
    const s = req('semiuri');
    expect(s.uri.kind === 'sip' && s.uri.user).toBe('user;par=u%40example.net');
    expect(s.getAll('accept')).toHaveLength(6);
    expect(req('transports').via.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('longreq: long values and 34 Via values in mixed forms', () => {
    const m = req('longreq');
    expect(m.via).toHaveLength(34);
    expect(m.to.displayName).toBe(`I have a user name of ${'extreme'.repeat(10)} proportion`);
    expect(m.to.uri.kind === 'sip' && m.to.uri.port).toBe(6000);
    expect(m.fromTag).toBe(`12${'982'.repeat(50)}424`);
    expect(m.via[33]?.params.get('branch')).toBe(`very${'long'.repeat(50)}branchvalue`);
    expect(m.via.map((v) => v.host).slice(0, 3)).toEqual([
      'sip33.example.com',
      'sip32.example.com',
      'sip31.example.com',
    ]);
    expect(m.from.params.has(`unknownvalueless${'paramname'.repeat(10)}`)).toBe(true);
  });

  it('dblreq: bytes after Content-Length are discarded; mpart01: multipart body kept whole', () => {
    const d = req('dblreq');
    expect(d.method).toBe('REGISTER');
    expect(d.body.length).toBe(0);
    const mp = req('mpart01');
    expect(mp.contentType).toBe('multipart/mixed');
    expect(mp.bodyText.startsWith('--7a9cbec02ceef655')).toBe(true);
    expect(mp.body.length).toBe(553);
    expect(mp.body.includes(Buffer.from([0x30, 0x82, 0x01, 0x52, 0x06, 0x09]))).toBe(true);
    expect(mp.body.subarray(-24).toString('latin1')).toBe('\r\n--7a9cbec02ceef655--\r\n');
    const b = res('bcast');
    expect([b.status, b.cseq, b.body.length]).toEqual([200, { seq: 35, method: 'INVITE' }, 154]);
  });

  it('unreason and noreason: UTF-8 and empty reason phrases', () => {
    expect(res('unreason').reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(res('unreason').body.length).toBe(154);
    expect(res('noreason').status).toBe(100);
    expect(res('noreason').reason).toBe('');
  });

  it('unkscm, novelsc, unksm2: unknown schemes are kept opaque', () => {
    const u = req('unkscm').uri;
    expect(u.kind === 'absolute' && u.scheme).toBe('nobodyknowsthisscheme');
    expect(req('novelsc').uri.kind).toBe('absolute');
    expect(req('unksm2').to.uri.kind === 'absolute' && req('unksm2').to.uri.scheme).toBe('isbn');
  });

  it('inv2543: an RFC 2543 request without branch, tag, Max-Forwards or Content-Length', () => {
    const m = req('inv2543');
    expect(m.via[0]?.params.get('branch')).toBeUndefined();
    expect(m.fromTag).toBeUndefined();
    expect(m.maxForwards).toBeUndefined();
    expect(m.bodyText.startsWith('v=0')).toBe(true);
  });

  it('cparam01/cparam02: parameters outside <> belong to the header, inside to the URI', () => {
    const a = req('cparam01').getNameAddrs('contact')[0];
    expect(a?.params.has('unknownparam')).toBe(true);
    const b = req('cparam02').getNameAddrs('contact')[0];
    expect(b?.uri.kind === 'sip' && b.uri.params.has('unknownparam')).toBe(true);
    expect(b?.params.size).toBe(0);
  });
});

describe('RFC 4475 messages sent to a running UA over UDP', () => {
  let ua: SipUserAgent;
  let peer: UdpPeer;

  // A fresh UA per message: several RFC 4475 messages reuse the same branch and sent-by, which
  // would (rightly) match the previous message's server transaction.
  beforeEach(async () => {
    ua = await SipUserAgent.start({ host: '127.0.0.1', port: 0, transports: ['udp'] });
    ua.onInvite((_req, uas) => uas.reject(603));
    peer = await UdpPeer.open();
  });

  afterEach(async () => {
    peer.close();
    await ua.close();
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected === 'drop' ? 'dropped' : `answered ${expected}`}, then OPTIONS still answered`, async () => {
      const fixture = loadTorture(name);
      peer.send(fixture, ua.port);
      const probeId = `probe-${name}`;
      peer.send(optionsRequest(peer.port, ua.port, probeId), ua.port);
      const probe = await peer.next((m) => !m.isRequest && m.callId === probeId);
      expect(!probe.isRequest && probe.status).toBe(200);
      // Everything the UA sent before the probe's answer, raw: answers to malformed requests echo
      // their malformed headers (RFC 3261 §8.2.6.2), so they need not parse.
      const before = peer
        .drainRaw()
        .map((b) => b.toString('utf8'))
        .filter((t) => !t.includes(probeId));
      const finals = before.map((t) => Number(/^SIP\/2\.0 (\d{3})/.exec(t)?.[1])).filter((c) => c >= 200);
      if (expected === 'drop') {
        expect(before).toEqual([]);
        return;
      }
      expect(finals).toEqual([expected]);
      const answer = before.find((t) => /^SIP\/2\.0 [2-6]/.test(t)) ?? '';
      if (name === 'bext01')
        expect(answer).toContain('Unsupported: nothingSupportsThis, nothingSupportsThisEither');
      if (name === 'invut' || name === 'sdp01') expect(answer).toContain('Accept: application/sdp');
    });
  }
});
