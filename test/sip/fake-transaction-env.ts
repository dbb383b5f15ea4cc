import { pino } from 'pino';
import { parseMessage } from '../../src/sip/message/parse-message.js';
import { type SipRequest, SipResponse } from '../../src/sip/message/sip-message.js';
import { SipTimers } from '../../src/sip/transaction/sip-timers.js';
import type { Transaction, TransactionEnvironment } from '../../src/sip/transaction/transaction.js';
import type { Destination } from '../../src/sip/transport/transport-types.js';
import { FakeClock } from '../../src/util/clock.js';

/** A transaction environment on fake time that records what would have been sent, and when. */
export function fakeEnvironment(timers = new SipTimers()) {
  const clock = new FakeClock();
  const start = clock.now();
  const sent: Array<{ message: SipRequest | SipResponse; at: number }> = [];
  const terminated: Array<Transaction<string>> = [];
  const state = { failSends: false };
  const env: TransactionEnvironment = {
    clock,
    timers,
    logger: pino({ level: 'silent' }),
    send: async (message) => {
      if (state.failSends) throw new Error('transport down');
      sent.push({ message, at: clock.now() - start });
    },
    onTerminated: (t) => terminated.push(t),
  };
  return {
    clock,
    env,
    sent,
    terminated,
    state,
    /** Milliseconds since the start at which each message was sent. */
    times: () => sent.map((s) => s.at),
    elapsed: () => clock.now() - start,
  };
}

export const DEST: Destination = { transport: 'udp', address: '127.0.0.1', port: 5070 };

export function request(method = 'INVITE', branch = 'z9hG4bKtest1'): SipRequest {
  const m = parseMessage(
    [
      `${method} sip:bob@127.0.0.1:5070 SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=${branch}`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=a1',
      'To: <sip:bob@127.0.0.1>',
      'Call-ID: tx-test@127.0.0.1',
      `CSeq: 1 ${method}`,
      'Route: <sip:proxy.example.com;lr>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  if (!m.isRequest) throw new Error('not a request');
  return m;
}

export function response(req: SipRequest, status: number, toTag = 'b1'): SipResponse {
  const r = new SipResponse(status, 'X');
  r.via = req.via;
  r.from = req.from;
  r.to = status > 100 ? { ...req.to, params: new Map([['tag', toTag]]) } : req.to;
  r.callId = req.callId;
  r.cseq = req.cseq;
  return r;
}

export function recordingUser() {
  const responses: number[] = [];
  const failures: Error[] = [];
  return {
    responses,
    failures,
    user: {
      onResponse: (r: SipResponse) => responses.push(r.status),
      onFailure: (e: Error) => failures.push(e),
    },
  };
}
