import { describe, expect, it } from 'vitest';
import {
  DEST,
  fakeEnvironment,
  recordingUser,
  request,
  response,
} from '../../../test/sip/fake-transaction-env.js';
import { ClientNonInviteState, ClientNonInviteTransaction } from './client-non-invite-transaction.js';

function start(reliable = false) {
  const f = fakeEnvironment();
  const u = recordingUser();
  const req = request('OPTIONS');
  const tx = new ClientNonInviteTransaction('k', req, DEST, reliable, f.env, u.user);
  tx.start();
  return { f, u, req, tx };
}

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('retransmits with Timer E doubling from T1 and capped at T2, until Timer F (64*T1)', () => {
    const { f, u, tx } = start();
    f.clock.advance(31_999);
    expect(f.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    f.clock.advance(1);
    expect(tx.state).toBe(ClientNonInviteState.Terminated);
    expect((u.failures[0] as { code?: string }).code).toBe('SIP_TRANSACTION_TIMEOUT');
    expect(f.clock.pending).toBe(0);
  });

  it('in Proceeding retransmits every T2, and Timer F keeps its original deadline', () => {
    const { f, u, req, tx } = start();
    f.clock.advance(600);
    tx.receiveResponse(response(req, 100));
    expect(tx.state).toBe(ClientNonInviteState.Proceeding);
    expect(u.responses).toEqual([100]);
    f.clock.advance(10_000);
    expect(f.times()).toEqual([0, 500, 4600, 8600]);
    f.clock.advance(32_000 - 10_600 - 1);
    expect(tx.state).toBe(ClientNonInviteState.Proceeding);
    f.clock.advance(1);
    expect(tx.state).toBe(ClientNonInviteState.Terminated);
  });

  it('a final response goes up once; retransmissions are absorbed; Timer K is T4 on UDP', () => {
    const { f, u, req, tx } = start();
    tx.receiveResponse(response(req, 200));
    tx.receiveResponse(response(req, 200));
    expect(u.responses).toEqual([200]);
    expect(tx.state).toBe(ClientNonInviteState.Completed);
    expect(tx.armedTimers).toEqual(['K']);
    f.clock.advance(4_999);
    expect(tx.state).toBe(ClientNonInviteState.Completed);
    f.clock.advance(1);
    expect(tx.state).toBe(ClientNonInviteState.Terminated);
    expect(f.times()).toEqual([0]);
  });

  it('on a reliable transport: no Timer E, Timer K is zero', () => {
    const { f, req, tx } = start(true);
    expect(tx.armedTimers).toEqual(['F']);
    tx.receiveResponse(response(req, 404));
    f.clock.advance(0);
    expect(tx.state).toBe(ClientNonInviteState.Terminated);
  });

  it('UA shutdown before the final response reports SIP_UA_CLOSED to the TU; after it, nothing', () => {
    const waiting = start();
    waiting.tx.terminate();
    expect(waiting.tx.state).toBe(ClientNonInviteState.Terminated);
    expect(waiting.u.failures.map((e) => (e as { code?: string }).code)).toEqual(['SIP_UA_CLOSED']);
    const done = start();
    done.tx.receiveResponse(response(done.req, 200));
    done.tx.terminate();
    expect(done.u.failures).toEqual([]);
    expect(done.u.responses).toEqual([200]);
  });
});
