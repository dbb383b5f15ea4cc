import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestClient } from '../../src/sip/auth/digest-client.js';
import { withDeadline } from '../support/sip-peers.js';
import { type RegistrarHarness, startRegistrarHarness } from './registrar-harness.js';

/** A raw UDP SIP client: sends text, waits for the next datagram (with a deadline). */
async function udpClient(): Promise<{
  sock: Socket;
  port: number;
  exchange(to: number, text: string): Promise<string>;
}> {
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return {
    sock,
    port: sock.address().port,
    async exchange(to, text) {
      const reply = once(sock, 'message');
      sock.send(text, to, '127.0.0.1');
      const [msg] = (await withDeadline(reply, 5000, () => `no answer to:\n${text}`)) as [Buffer];
      return msg.toString('utf8');
    },
  };
}

let n = 0;
function register(
  port: number,
  clientPort: number,
  opts: { authorization?: string; callId?: string } = {},
): string {
  n++;
  return [
    `REGISTER sip:127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bK-sec-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@127.0.0.1:${port}>;tag=fixed`,
    `To: <sip:alice@127.0.0.1:${port}>`,
    `Call-ID: ${opts.callId ?? 'sec-call'}`,
    `CSeq: ${n} REGISTER`,
    `Contact: <sip:alice@127.0.0.1:${clientPort}>`,
    'Expires: 120',
    ...(opts.authorization ? [`Authorization: ${opts.authorization}`] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const challengesOf = (text: string) =>
  text
    .split('\r\n')
    .filter((l) => l.startsWith('WWW-Authenticate:'))
    .map((l) => l.slice('WWW-Authenticate:'.length).trim());

/** The answer with the per-request parts (Via branch, CSeq) blanked. */
const normalise = (text: string) =>
  text.replace(/branch=[^;\r\n]+/, 'branch=B').replace(/CSeq: \d+/, 'CSeq: N');

describe('registrar security on the wire (UDP)', () => {
  let server: RegistrarHarness | undefined;
  let client: Awaited<ReturnType<typeof udpClient>> | undefined;
  afterEach(async () => {
    client?.sock.close();
    await server?.close();
    server = undefined;
  });

  async function authorized(user: string, password: string): Promise<string> {
    if (!server || !client) throw new Error('setup');
    const challenge = await client.exchange(server.port, register(server.port, client.port));
    expect(challenge).toMatch(/^SIP\/2\.0 401 Unauthorized/);
    const dc = new DigestClient({ username: user, password });
    dc.handleChallenge(401, challengesOf(challenge));
    return dc.authorize('REGISTER', `sip:127.0.0.1:${server.port}`)?.value ?? '';
  }

  it('answers an unknown user and a wrong password with byte-identical responses, binding nothing', async () => {
    server = await startRegistrarHarness({ users: { alice: 'alice-pw' } });
    client = await udpClient();
    const unknown = await client.exchange(
      server.port,
      register(server.port, client.port, { authorization: await authorized('mallory', 'x') }),
    );
    const wrong = await client.exchange(
      server.port,
      register(server.port, client.port, { authorization: await authorized('alice', 'x') }),
    );
    expect(unknown).toMatch(/^SIP\/2\.0 403 Forbidden\r\n/);
    expect(normalise(wrong)).toBe(normalise(unknown));
    expect(server.location.size).toBe(0);
  });

  it('locks out a source after repeated failures; the right password is then refused too; garbage never crashes it', async () => {
    server = await startRegistrarHarness({
      users: { alice: 'alice-pw' },
      lockout: { maxFailures: 3, lockoutMs: 60_000 },
    });
    client = await udpClient();
    for (const junk of [
      'REGISTER',
      'REGISTER sip:x SIP/2.0\r\n\r\n',
      '\u0000\u0001garbage',
      `${register(server.port, client.port).slice(0, 80)}`,
    ]) {
      client.sock.send(junk, server.port, '127.0.0.1');
    }
    for (let i = 0; i < 3; i++) {
      const a = await client.exchange(
        server.port,
        register(server.port, client.port, { authorization: await authorized('alice', `guess${i}`) }),
      );
      expect(a).toMatch(/^SIP\/2\.0 403/);
    }
    const locked = await client.exchange(server.port, register(server.port, client.port));
    expect(locked).toMatch(/^SIP\/2\.0 403 Forbidden/);
    expect(server.answers.at(-1)?.code).toBe('SIP_AUTH_LOCKED_OUT');
    expect(server.location.size).toBe(0);
  });

  it('replays of an accepted REGISTER (same nc) are refused; retransmissions (same branch) get the same answer', async () => {
    server = await startRegistrarHarness({ users: { alice: 'alice-pw' } });
    client = await udpClient();
    const authorization = await authorized('alice', 'alice-pw');
    const text = register(server.port, client.port, { authorization });
    expect(await client.exchange(server.port, text)).toMatch(/^SIP\/2\.0 200 OK/);
    expect(await client.exchange(server.port, text)).toMatch(/^SIP\/2\.0 200 OK/); // retransmission
    const replay = register(server.port, client.port, { authorization });
    expect(await client.exchange(server.port, replay)).toMatch(/^SIP\/2\.0 401 Unauthorized/);
    expect(server.answers.at(-1)?.code).toBe('SIP_AUTH_REPLAY');
  });
});
