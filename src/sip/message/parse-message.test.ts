import { describe, expect, it } from 'vitest';
import { parseMessage } from './parse-message.js';
import { SipRequest, SipResponse } from './sip-message.js';
import { SipParseError } from './sip-parse-error.js';
import { parseUri, serializeUri, uriEquals } from './sip-uri.js';

const crlf = (lines: string[]) => lines.join('\r\n');

const INVITE = crlf([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bK2',
  'v: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK3;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'f: "Alice \\"A\\"" <sip:alice@atlanta.example.com;transport=tcp>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'm: <sip:alice@pc33.atlanta.example.com>;expires=60, "Second" <sip:alice@[2001:db8::10]:5070;lr>',
  'Route: <sip:p1.example.com;lr>',
  'Route: <sip:p2.example.com;lr>,',
  ' <sip:p3.example.com;lr>',
  'Subject: folded',
  '\tsubject',
  'c: application/sdp',
  'l: 3',
  '',
  'v=0',
]);

describe('parseMessage', () => {
  it('parses a request: compact forms, folding, quoted strings, list headers on one and several rows', () => {
    const m = parseMessage(INVITE);
    expect(m).toBeInstanceOf(SipRequest);
    if (!m.isRequest) return;
    expect(m.method).toBe('INVITE');
    expect(m.via.map((v) => `${v.transport} ${v.host}:${v.port ?? ''}`)).toEqual([
      'UDP pc33.atlanta.example.com:',
      'TCP [2001:db8::9]:5061',
      'WS df7jal23ls0d.invalid:',
    ]);
    expect(m.from.displayName).toBe('Alice "A"');
    expect(m.fromTag).toBe('1928301774');
    expect(m.from.uri.kind === 'sip' && m.from.uri.params.get('transport')).toBe('tcp');
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    const contacts = m.getNameAddrs('contact');
    expect(contacts.map((c) => serializeUri(c.uri))).toEqual([
      'sip:alice@pc33.atlanta.example.com',
      'sip:alice@[2001:db8::10]:5070;lr',
    ]);
    expect(contacts[0]?.params.get('expires')).toBe('60');
    expect(m.getAll('route')).toEqual([
      '<sip:p1.example.com;lr>',
      '<sip:p2.example.com;lr>',
      '<sip:p3.example.com;lr>',
    ]);
    expect(m.get('subject')).toBe('folded subject');
    expect(m.contentType).toBe('application/sdp');
    expect(m.bodyText).toBe('v=0');
  });

  it('round-trips through the serializer with a recomputed Content-Length', () => {
    const m = parseMessage(INVITE);
    const again = parseMessage(m.toBuffer());
    expect(again.toString()).toBe(m.toString());
    expect(m.toString()).toContain('Content-Length: 3\r\n\r\nv=0');
  });

  it('parses a response with an empty reason phrase', () => {
    const r = parseMessage(
      crlf([
        'SIP/2.0 180 ',
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
        'From: <sip:a@h>;tag=1',
        'To: <sip:b@h>;tag=2',
        'Call-ID: x',
        'CSeq: 1 INVITE',
        '',
        '',
      ]),
    );
    expect(r).toBeInstanceOf(SipResponse);
    expect(!r.isRequest && [r.status, r.reason]).toEqual([180, '']);
  });

  it('frames datagrams by Content-Length: extra bytes are discarded, a short body is an error', () => {
    const base = [
      'OPTIONS sip:h SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: <sip:a@h>;tag=1',
      'To: <sip:b@h>',
      'Call-ID: x',
      'CSeq: 1 OPTIONS',
    ];
    expect(parseMessage(crlf([...base, 'Content-Length: 2', '', 'abcdef'])).bodyText).toBe('ab');
    expect(() => parseMessage(crlf([...base, 'Content-Length: 20', '', 'abc']))).toThrow(SipParseError);
  });

  it('answers the right status for each refusal: 400, 505, 513', () => {
    const status = (text: string | Buffer, max?: number) => {
      try {
        parseMessage(text, { maxSize: max });
      } catch (e) {
        return (e as SipParseError).status;
      }
      return 0;
    };
    const ok = crlf([
      'OPTIONS sip:h SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: <sip:a@h>;tag=1',
      'To: <sip:b@h>',
      'Call-ID: x',
      'CSeq: 1 OPTIONS',
      '',
      '',
    ]);
    expect(status(ok)).toBe(0);
    expect(status(ok.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'))).toBe(505);
    expect(status(ok, 20)).toBe(513);
    expect(status(ok.replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'))).toBe(400);
    expect(status(ok.replace('Call-ID: x', 'Call-ID: x\r\nCall-ID: y'))).toBe(400);
    expect(status(ok.replace('CSeq: 1', 'CSeq: 2147483648'))).toBe(400);
    expect(status(ok.replace('Via: SIP/2.0/UDP h', 'Via: SIP/2.0/UDP 2001:db8::1'))).toBe(400);
    expect(status('\r\n\r\n')).toBe(400);
  });

  it('keeps a partial message for answering malformed requests (RFC 3261 §8.2.6.2)', () => {
    try {
      parseMessage(
        crlf([
          'INVITE sip:h SIP/2.0',
          'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
          'From: bad<',
          'To: <sip:b@h>',
          'Call-ID: x',
          'CSeq: 1 INVITE',
          '',
          '',
        ]),
      );
      expect.unreachable();
    } catch (e) {
      const p = (e as SipParseError).partial;
      expect(p?.isRequest).toBe(true);
      expect(p?.method).toBe('INVITE');
      expect(p?.headers.get('via')).toEqual(['SIP/2.0/UDP h;branch=z9hG4bK1']);
    }
  });
});

describe('parsed messages built on first access', () => {
  const base = [
    'MESSAGE sip:h SIP/2.0',
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
    'From: <sip:a@h>;tag=1',
    'To: <sip:b@h>',
    'Call-ID: x',
    'CSeq: 1 MESSAGE',
  ];

  it('reads header rows before and after the map is built, and keeps edits to the map', () => {
    const m = parseMessage(
      crlf([...base, 'Subject: one', 'Route: <sip:p1;lr>', 'Subject: two', 'Route: <sip:p2;lr>', '', '']),
    );
    expect(m.get('subject')).toBe('one');
    expect(m.get('s')).toBe('one');
    expect(m.has('route')).toBe(true);
    expect(m.has('contact')).toBe(false);
    expect(m.get('contact')).toBeUndefined();
    expect([...m.headers]).toEqual([
      ['subject', ['one', 'two']],
      ['route', ['<sip:p1;lr>', '<sip:p2;lr>']],
    ]);
    m.headers.get('route')?.push('<sip:p3;lr>');
    m.remove('subject');
    expect(m.getAll('route')).toEqual(['<sip:p1;lr>', '<sip:p2;lr>', '<sip:p3;lr>']);
    expect(m.has('subject')).toBe(false);
    expect(m.get('subject')).toBeUndefined();
  });

  it('takes the same fields whichever way the head was decoded', () => {
    const text = crlf([...base, 'Subject: folded', ' twice', 'Content-Type: text/plain', 'l: 4', '', 'body']);
    const plain = parseMessage(text);
    // A non-ASCII head, a non-ASCII body right after an ASCII head, and a head longer than the
    // bytes decoded at once all take the Buffer search instead of the decoded-text one.
    const nonAsciiHead = parseMessage(text.replace('Subject: folded', 'Subject: földéd'));
    const nonAsciiBody = parseMessage(text.replace('l: 4', 'l: 5').replace('body', 'bödy'));
    const longHead = parseMessage(text.replace('Call-ID: x', `Call-ID: x\r\nX-Pad: ${'p'.repeat(5000)}`));
    for (const m of [plain, nonAsciiHead, nonAsciiBody, longHead]) {
      expect(m.isRequest && m.method).toBe('MESSAGE');
      expect(m.callId).toBe('x');
      expect(m.fromTag).toBe('1');
      expect(m.contentType).toBe('text/plain');
      expect(m.body.length).toBe(m === nonAsciiBody ? 5 : 4);
    }
    expect(plain.get('subject')).toBe('folded twice');
    expect(nonAsciiHead.get('subject')).toBe('földéd twice');
    expect(plain.bodyText).toBe('body');
    expect(nonAsciiBody.bodyText).toBe('bödy');
    expect(longHead.get('x-pad')).toHaveLength(5000);
    expect(longHead.bodyText).toBe('body');
  });

  it('splits lines at CRLF only, unless the first line ends with a bare LF', () => {
    const m = parseMessage(crlf([...base, 'Subject: a\nb', '', '']));
    expect(m.get('subject')).toBe('a\nb');
    const lf = parseMessage([...base, 'Subject: lf', 'Content-Length: 2', '', 'ok'].join('\n'));
    expect(lf.get('subject')).toBe('lf');
    expect(lf.bodyText).toBe('ok');
  });

  it('gives the body without Content-Length as the rest of the input', () => {
    const m = parseMessage(crlf([...base, '', 'rest']), { datagram: false });
    expect(m.bodyText).toBe('rest');
    expect(parseMessage(crlf([...base, '', ''])).body.length).toBe(0);
  });
});

describe('SIP URIs (RFC 3261 §19.1, RFC 5118)', () => {
  it('parses user, password, host, port, parameters and headers', () => {
    const r = parseUri(
      'sips:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent',
    );
    expect(
      r.ok && r.uri.kind === 'sip' && [r.uri.scheme, r.uri.user, r.uri.password, r.uri.host, r.uri.port],
    ).toEqual(['sips', 'alice', 'secret', 'atlanta.com', 5061]);
    expect(r.ok && r.uri.kind === 'sip' && [...r.uri.params]).toEqual([
      ['transport', 'tcp'],
      ['lr', null],
    ]);
    expect(r.ok && r.uri.kind === 'sip' && r.uri.headers).toBe('subject=project%20x&priority=urgent');
  });

  it('accepts IPv6 references and refuses bare IPv6 hosts (RFC 5118 §4.10)', () => {
    expect(parseUri('sip:[2001:db8::10]:5070').ok).toBe(true);
    expect(parseUri('sip:user@[::ffff:192.0.2.1]').ok).toBe(true);
    expect(parseUri('sip:2001:db8::10').ok).toBe(false);
    expect(parseUri('sip:[2001:db8::10').ok).toBe(false);
  });

  it('compares per §19.1.4: escapes, host case, and the transport parameter', () => {
    const u = (s: string) => {
      const r = parseUri(s);
      if (!r.ok) throw new Error(r.reason);
      return r.uri;
    };
    expect(
      uriEquals(u('sip:%61lice@AtLanTa.CoM;transport=TCP'), u('sip:alice@atlanta.com;transport=tcp')),
    ).toBe(true);
    expect(uriEquals(u('sip:alice@atlanta.com'), u('sip:ALICE@atlanta.com'))).toBe(false);
    expect(uriEquals(u('sip:bob@biloxi.com'), u('sip:bob@biloxi.com:5060'))).toBe(false);
    expect(uriEquals(u('sip:bob@biloxi.com;transport=udp'), u('sip:bob@biloxi.com'))).toBe(false);
  });
});
