import { describe, expect, it } from 'vitest';
import { DEST, fakeEnvironment, request, response } from '../../../test/sip/fake-transaction-env.js';
import { ServerInviteState, ServerInviteTransaction } from './server-invite-transaction.js';

function start(reliable = false) {
  const f = fakeEnvironment();
  const req = request('INVITE');
  const tx = new ServerInviteTransaction('k', req, DEST, reliable, f.env);
  const failures: Error[] = [];
  tx.user = { onServerFailure: (e) => failures.push(e) };
  return { f, req, tx, failures };
}

function statuses(f: ReturnType<typeof fakeEnvironment>): number[] {
  return f.sent.map((s) => (s.message.isRequest ? 0 : s.message.status));
}

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  it('sends 100 Trying after 200 ms when the TU is silent', () => {
    const { f } = start();
    f.clock.advance(199);
    expect(f.sent).toHaveLength(0);
    f.clock.advance(1);
    expect(statuses(f)).toEqual([100]);
  });

  it('sends no 100 when the TU answers within 200 ms', () => {
    const { f, req, tx } = start();
    tx.respond(response(req, 180));
    f.clock.advance(1000);
    expect(statuses(f)).toEqual([180]);
  });

  it('a retransmitted INVITE in Proceeding re-sends the latest provisional response', () => {
    const { f, req, tx } = start();
    tx.respond(response(req, 180));
    tx.receiveRequest(req);
    expect(statuses(f)).toEqual([180, 180]);
  });

  it('a 3xx-6xx on UDP is retransmitted by Timer G (T1 doubling to T2) until Timer H (64*T1)', () => {
    const { f, req, tx, failures } = start();
    tx.respond(response(req, 486));
    expect(tx.state).toBe(ServerInviteState.Completed);
    f.clock.advance(31_999);
    expect(f.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(failures).toHaveLength(0);
    f.clock.advance(1);
    expect(tx.state).toBe(ServerInviteState.Terminated);
    expect((failures[0] as { code?: string }).code).toBe('SIP_NO_ACK');
  });

  it('the ACK moves Completed to Confirmed, stops G, and Timer I (T4) ends it', () => {
    const { f, req, tx } = start();
    tx.respond(response(req, 486));
    f.clock.advance(600);
    const ack = request('ACK');
    tx.receiveRequest(ack);
    expect(tx.state).toBe(ServerInviteState.Confirmed);
    expect(tx.armedTimers).toEqual(['I']);
    tx.receiveRequest(ack); // absorbed
    f.clock.advance(4_999);
    expect(tx.state).toBe(ServerInviteState.Confirmed);
    f.clock.advance(1);
    expect(tx.state).toBe(ServerInviteState.Terminated);
    expect(f.times()).toEqual([0, 500]);
  });

  it('a retransmitted INVITE in Completed re-sends the final response', () => {
    const { f, req, tx } = start(true);
    tx.respond(response(req, 603));
    tx.receiveRequest(req);
    expect(statuses(f)).toEqual([603, 603]);
    expect(tx.armedTimers).toEqual(['H']); // no Timer G on a reliable transport
  });

  it('Timer I is zero on a reliable transport', () => {
    const { f, req, tx } = start(true);
    tx.respond(response(req, 603));
    tx.receiveRequest(request('ACK'));
    f.clock.advance(0);
    expect(tx.state).toBe(ServerInviteState.Terminated);
  });

  it('a 2xx moves to Accepted (RFC 6026): INVITE retransmissions are absorbed, TU 2xx retransmissions sent, Timer L ends it', () => {
    const { f, req, tx } = start();
    tx.respond(response(req, 200));
    expect(tx.state).toBe(ServerInviteState.Accepted);
    tx.receiveRequest(req);
    expect(statuses(f)).toEqual([200]);
    tx.respond(response(req, 200));
    expect(statuses(f)).toEqual([200, 200]);
    f.clock.advance(31_999);
    expect(tx.state).toBe(ServerInviteState.Accepted);
    f.clock.advance(1);
    expect(tx.state).toBe(ServerInviteState.Terminated);
  });

  it('rejects a response its diagram forbids with a typed error', () => {
    const { req, tx } = start();
    tx.respond(response(req, 200));
    expect(() => tx.respond(response(req, 486))).toThrow(
      expect.objectContaining({ code: 'SIP_ILLEGAL_TRANSITION' }),
    );
  });
});
