import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseMessage } from '../../src/sip/message/parse-message.js';
import type { SipRequest } from '../../src/sip/message/sip-message.js';
import type { IncomingInvite } from '../../src/sip/ua/incoming-invite.js';
import { SipUserAgent } from '../../src/sip/ua/sip-user-agent.js';

const uas: SipUserAgent[] = [];
async function start(options: Partial<Parameters<typeof SipUserAgent.start>[0]> = {}): Promise<SipUserAgent> {
  const ua = await SipUserAgent.start({ host: '127.0.0.1', port: 0, ...options });
  uas.push(ua);
  return ua;
}
afterEach(async () => {
  await Promise.all(uas.splice(0).map((u) => u.close()));
});

function nextEvent<T>(register: (resolve: (v: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('event did not happen before the deadline')), ms);
    register((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

describe('calls between two user agents', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport}: INVITE, 180, 200 with SDP, ACK, re-INVITE, INFO, BYE from the caller`, async () => {
      const alice = await start();
      const bob = await start();
      const seen: string[] = [];
      const bobDialog = nextEvent<import('../../src/sip/dialog/dialog.js').Dialog>((resolve) =>
        bob.onInvite(async (req, call) => {
          seen.push(`invite ${req.bodyText}`);
          call.ringing();
          const d = await call.answer('v=0 bob');
          d.on('reinvite', (r, res) => {
            seen.push(`reinvite ${r.bodyText}`);
            res.respond(200, { body: 'v=0 bob2', contentType: 'application/sdp' });
          });
          d.on('info', (r, res) => {
            seen.push(`info ${r.bodyText}`);
            res.respond(200);
          });
          resolve(d);
        }),
      );
      const progress: number[] = [];
      const { dialog, answerSdp } = await alice.invite(
        `sip:bob@127.0.0.1:${bob.port};transport=${transport}`,
        {
          sdp: 'v=0 alice',
          onProgress: (r) => progress.push(r.status),
        },
      );
      expect(answerSdp).toBe('v=0 bob');
      expect(progress).toContain(180);
      const bd = await bobDialog;
      expect(bd.state).toBe('confirmed');
      expect(bd.id.remoteTag).toBe(dialog.id.localTag);
      expect(await dialog.reinvite('v=0 alice2')).toBe('v=0 bob2');
      expect((await dialog.info('hello', 'text/plain')).status).toBe(200);
      const bye = nextEvent<SipRequest>((r) => bd.on('bye', r));
      await dialog.bye();
      await bye;
      expect(seen).toEqual(['invite v=0 alice', 'reinvite v=0 alice2', 'info hello']);
      expect(bd.state).toBe('terminated');
      expect(alice.dialogs).toHaveLength(0);
      expect(bob.dialogs).toHaveLength(0);
    });
  }

  it('the callee hangs up: BYE from the UAS side reaches the caller', async () => {
    const alice = await start();
    const bob = await start();
    bob.onInvite(async (_req, call) => {
      const d = await call.answer('v=0');
      await d.bye();
    });
    const { dialog } = await alice.invite(`sip:bob@127.0.0.1:${bob.port}`, { sdp: 'v=0' });
    await nextEvent((r) => dialog.on('bye', r));
    expect(dialog.state).toBe('terminated');
  });

  it('CANCEL before the answer: the UAS sees cancel and the UAC rejects with SIP_REQUEST_CANCELLED (487)', async () => {
    const alice = await start();
    const bob = await start();
    const cancelled = nextEvent<IncomingInvite>((resolve) =>
      bob.onInvite((_req, call) => {
        call.ringing();
        call.on('cancel', () => resolve(call));
      }),
    );
    const abort = new AbortController();
    const p = alice.invite(`sip:bob@127.0.0.1:${bob.port}`, {
      sdp: 'v=0',
      signal: abort.signal,
      onProgress: (r) => {
        if (r.status === 180) abort.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'SIP_REQUEST_CANCELLED' });
    const call = await cancelled;
    expect(call.state).toBe('cancelled');
    expect(() => call.answer('v=0')).toThrow(expect.objectContaining({ code: 'SIP_REQUEST_CANCELLED' }));
  });

  it('a rejected INVITE rejects with SIP_REQUEST_FAILED carrying the status', async () => {
    const alice = await start();
    const bob = await start();
    bob.onInvite((_req, call) => call.reject(486));
    await expect(alice.invite(`sip:bob@127.0.0.1:${bob.port}`)).rejects.toMatchObject({
      code: 'SIP_REQUEST_FAILED',
      details: { status: 486 },
    });
  });

  it('closing the UA while its INVITE rings rejects the call with SIP_UA_CLOSED (it does not wait forever)', async () => {
    const alice = await start();
    const bob = await start();
    const ringing = nextEvent<void>((resolve) =>
      bob.onInvite((_req, call) => {
        call.ringing();
        resolve();
      }),
    );
    const call = alice.invite(`sip:bob@127.0.0.1:${bob.port}`);
    await ringing;
    await alice.close();
    await expect(call).rejects.toMatchObject({ code: 'SIP_UA_CLOSED' });
    expect(alice.dump()).toMatchObject({ closed: true });
  });

  it('auto-answer headers of CONTRACT.md §3 are sent when asked', async () => {
    const alice = await start();
    const bob = await start();
    const got = nextEvent<SipRequest>((resolve) =>
      bob.onInvite((req, call) => {
        resolve(req);
        call.reject(480);
      }),
    );
    await alice.invite(`sip:bob@127.0.0.1:${bob.port}`, { autoAnswer: true }).catch(() => undefined);
    const req = await got;
    expect(req.get('call-info')).toBe('<sip:127.0.0.1>;answer-after=0');
    expect(req.get('alert-info')).toBe('<urn:alert:service:auto-answer>');
    expect(req.get('answer-mode')).toBe('Auto');
  });

  it('answers a digest challenge once with the given credentials (trunks that challenge)', async () => {
    const alice = await start();
    const trunk = await start();
    const authorizations: string[] = [];
    trunk.use('INVITE', (req, res, next) => {
      const auth = req.get('proxy-authorization');
      if (!auth) {
        res.send(407, {
          headers: {
            'proxy-authenticate': 'Digest realm="trunk", nonce="abc123", algorithm=MD5, qop="auth"',
          },
        });
        return;
      }
      authorizations.push(auth);
      return next();
    });
    trunk.onInvite((_req, call) => void call.answer('v=0 trunk'));
    const { answerSdp, dialog } = await alice.invite(`sip:5551234@127.0.0.1:${trunk.port}`, {
      sdp: 'v=0',
      credentials: { username: 'earshot', password: 'secret' },
    });
    expect(answerSdp).toBe('v=0 trunk');
    expect(authorizations).toHaveLength(1);
    expect(authorizations[0]).toMatch(/^Digest username="earshot", realm="trunk", nonce="abc123"/);
    await dialog.bye();
  });
});

describe('SIP over WebSocket (RFC 7118)', () => {
  it('accepts subprotocol "sip" on /sip, answers over the same connection, and refuses other subprotocols', async () => {
    const bob = await start({ transports: ['udp', 'ws'] });
    bob.onInvite((_req, call) => void call.answer('v=0 ws').catch(() => undefined));
    const wsPort = bob.transport.port('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/sip`, 'sip');
    await nextEvent((r) => ws.once('open', r));
    const got = nextEvent<string>((r) =>
      ws.on('message', (d: Buffer) => {
        const t = d.toString();
        if (t.startsWith('SIP/2.0 200')) r(t);
      }),
    );
    ws.send(
      [
        `INVITE sip:bob@127.0.0.1:${wsPort};transport=ws SIP/2.0`,
        'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws1;rport',
        'Max-Forwards: 70',
        'From: <sip:alice@example.invalid>;tag=w1',
        'To: <sip:bob@127.0.0.1>',
        'Call-ID: ws-call-1',
        'CSeq: 1 INVITE',
        'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>',
        'Content-Type: application/sdp',
        'Content-Length: 9',
        '',
        'v=0 alice',
      ].join('\r\n'),
    );
    const ok = parseMessage(await got);
    expect(!ok.isRequest && ok.bodyText).toBe('v=0 ws');
    expect(ok.get('contact')).toContain('transport=ws');
    ws.close();
    const bad = new WebSocket(`ws://127.0.0.1:${wsPort}/sip`, 'not-sip');
    const outcome = await nextEvent<string>((r) => {
      bad.once('error', () => r('refused'));
      bad.once('close', () => r('closed'));
      bad.once('open', () => r('open'));
    });
    expect(outcome).not.toBe('open');
  });
});

describe('SIP over WebSocket on an existing HTTP server', () => {
  it('attaches to the server upgrade for /sip and leaves other paths to other handlers', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_q, s) => s.end('http'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const others: string[] = [];
    server.on('upgrade', (req, socket) => {
      if (req.url !== '/sip') {
        others.push(req.url ?? '');
        socket.destroy();
      }
    });
    const port = (server.address() as { port: number }).port;
    const ua = await start({ transports: ['ws'], httpServer: server });
    const ok = new WebSocket(`ws://127.0.0.1:${port}/sip`, 'sip');
    await nextEvent((r) => ok.once('open', r));
    expect(ok.protocol).toBe('sip');
    const other = new WebSocket(`ws://127.0.0.1:${port}/api/v2/notifications`);
    await nextEvent((r) => other.once('error', r));
    expect(others).toEqual(['/api/v2/notifications']);
    ok.close();
    await ua.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
