import { describe, expect, it } from 'vitest';
import { DEST, fakeEnvironment, request, response } from '../../../test/sip/fake-transaction-env.js';
import { ServerNonInviteState, ServerNonInviteTransaction } from './server-non-invite-transaction.js';

function start(reliable = false) {
  const f = fakeEnvironment();
  const req = request('BYE');
  const tx = new ServerNonInviteTransaction('k', req, DEST, reliable, f.env);
  return { f, req, tx };
}

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('absorbs retransmissions in Trying', () => {
    const { f, req, tx } = start();
    tx.receiveRequest(req);
    expect(f.sent).toHaveLength(0);
    expect(tx.state).toBe(ServerNonInviteState.Trying);
  });

  it('re-sends the provisional in Proceeding and the final in Completed; Timer J is 64*T1 on UDP', () => {
    const { f, req, tx } = start();
    tx.respond(response(req, 100));
    expect(tx.state).toBe(ServerNonInviteState.Proceeding);
    tx.receiveRequest(req);
    tx.respond(response(req, 200));
    tx.receiveRequest(req);
    expect(f.sent.map((s) => !s.message.isRequest && s.message.status)).toEqual([100, 100, 200, 200]);
    expect(tx.state).toBe(ServerNonInviteState.Completed);
    f.clock.advance(31_999);
    expect(tx.state).toBe(ServerNonInviteState.Completed);
    f.clock.advance(1);
    expect(tx.state).toBe(ServerNonInviteState.Terminated);
    expect(f.terminated).toEqual([tx]);
  });

  it('Timer J is zero on a reliable transport', () => {
    const { f, req, tx } = start(true);
    tx.respond(response(req, 200));
    f.clock.advance(0);
    expect(tx.state).toBe(ServerNonInviteState.Terminated);
  });

  it('rejects a second final response with a typed error', () => {
    const { req, tx } = start();
    tx.respond(response(req, 200));
    expect(() => tx.respond(response(req, 500))).toThrow(
      expect.objectContaining({ code: 'SIP_ILLEGAL_TRANSITION' }),
    );
  });
});
