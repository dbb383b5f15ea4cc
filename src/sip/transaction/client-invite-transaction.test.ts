import { describe, expect, it } from 'vitest';
import {
  DEST,
  fakeEnvironment,
  recordingUser,
  request,
  response,
} from '../../../test/sip/fake-transaction-env.js';
import { ClientInviteState, ClientInviteTransaction } from './client-invite-transaction.js';

function start(reliable = false) {
  const f = fakeEnvironment();
  const u = recordingUser();
  const req = request('INVITE');
  const tx = new ClientInviteTransaction('k', req, DEST, reliable, f.env, u.user);
  tx.start();
  return { f, u, req, tx };
}

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  it('retransmits on UDP with Timer A doubling from T1, then Timer B (64*T1) times out in Calling', () => {
    const { f, u, tx } = start();
    expect(tx.state).toBe(ClientInviteState.Calling);
    f.clock.advance(31_999);
    expect(f.times()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(u.failures).toHaveLength(0);
    f.clock.advance(1);
    expect(tx.state).toBe(ClientInviteState.Terminated);
    expect(u.failures.map((e) => (e as { code?: string }).code)).toEqual(['SIP_TRANSACTION_TIMEOUT']);
    expect(f.terminated).toEqual([tx]);
  });

  it('does not retransmit on a reliable transport, but Timer B still fires at 64*T1', () => {
    const { f, u, tx } = start(true);
    f.clock.advance(32_000);
    expect(f.times()).toEqual([0]);
    expect(tx.state).toBe(ClientInviteState.Terminated);
    expect(u.failures).toHaveLength(1);
  });

  it('a provisional response moves Calling to Proceeding and stops retransmissions and Timer B', () => {
    const { f, u, req, tx } = start();
    f.clock.advance(600);
    tx.receiveResponse(response(req, 180));
    expect(tx.state).toBe(ClientInviteState.Proceeding);
    expect(tx.armedTimers).toEqual([]);
    f.clock.advance(100_000);
    expect(f.times()).toEqual([0, 500]);
    expect(u.responses).toEqual([180]);
    expect(tx.state).toBe(ClientInviteState.Proceeding);
  });

  it('a 3xx-6xx is acknowledged by the transaction, passed up once, and Timer D lasts 32 s on UDP', () => {
    const { f, u, req, tx } = start();
    tx.receiveResponse(response(req, 486));
    expect(tx.state).toBe(ClientInviteState.Completed);
    const ack = f.sent[1]?.message;
    expect(ack?.isRequest && ack.method).toBe('ACK');
    expect(ack?.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack?.via).toHaveLength(1);
    expect(ack?.via[0]?.params.get('branch')).toBe('z9hG4bKtest1');
    expect(ack?.toTag).toBe('b1');
    expect(ack?.get('route')).toBe('<sip:proxy.example.com;lr>');
    // A retransmitted final response re-sends the ACK and is not passed up again.
    tx.receiveResponse(response(req, 486));
    expect(f.sent.filter((s) => s.message.isRequest && s.message.method === 'ACK')).toHaveLength(2);
    expect(u.responses).toEqual([486]);
    f.clock.advance(31_999);
    expect(tx.state).toBe(ClientInviteState.Completed);
    f.clock.advance(1);
    expect(tx.state).toBe(ClientInviteState.Terminated);
  });

  it('Timer D is zero on a reliable transport', () => {
    const { f, req, tx } = start(true);
    tx.receiveResponse(response(req, 603));
    f.clock.advance(0);
    expect(tx.state).toBe(ClientInviteState.Terminated);
  });

  it('a 2xx moves to Accepted (RFC 6026): every 2xx goes up, and Timer M (64*T1) ends it', () => {
    const { f, u, req, tx } = start();
    tx.receiveResponse(response(req, 200));
    expect(tx.state).toBe(ClientInviteState.Accepted);
    tx.receiveResponse(response(req, 200));
    tx.receiveResponse(response(req, 200, 'fork2'));
    expect(u.responses).toEqual([200, 200, 200]);
    expect(f.sent).toHaveLength(1); // the ACK for a 2xx is the TU's job
    f.clock.advance(31_999);
    expect(tx.state).toBe(ClientInviteState.Accepted);
    f.clock.advance(1);
    expect(tx.state).toBe(ClientInviteState.Terminated);
  });

  it('a transport error terminates the transaction and informs the TU', async () => {
    const f = fakeEnvironment();
    f.state.failSends = true;
    const u = recordingUser();
    const tx = new ClientInviteTransaction('k', request(), DEST, false, f.env, u.user);
    tx.start();
    await Promise.resolve();
    await Promise.resolve();
    expect(tx.state).toBe(ClientInviteState.Terminated);
    expect(u.failures[0]?.message).toBe('transport down');
    expect(f.clock.pending).toBe(0);
  });

  it('UA shutdown in Calling or Proceeding reports SIP_UA_CLOSED to the TU; after a final response, nothing', () => {
    const calling = start();
    calling.tx.terminate();
    expect(calling.tx.state).toBe(ClientInviteState.Terminated);
    expect(calling.u.failures.map((e) => (e as { code?: string }).code)).toEqual(['SIP_UA_CLOSED']);
    const ringing = start();
    ringing.tx.receiveResponse(response(ringing.req, 180));
    ringing.tx.terminate();
    expect(ringing.u.failures.map((e) => (e as { code?: string }).code)).toEqual(['SIP_UA_CLOSED']);
    const rejected = start();
    rejected.tx.receiveResponse(response(rejected.req, 486));
    rejected.tx.terminate();
    expect(rejected.u.failures).toEqual([]);
    expect(rejected.u.responses).toEqual([486]);
  });
});
