import { describe, expect, it } from 'vitest';
import type { Binding } from '../sip/registrar/location-service.js';
import { numberViaTrunk, phoneTarget, trunkCredentials, trunkTarget } from './phone-target.js';

function binding(contact: string, q: number, expiresAt: number): Binding {
  return {
    aor: 'sip:alice@127.0.0.1',
    contact,
    key: contact,
    callId: 'x',
    cseq: 1,
    expiresAt,
    q,
    source: { transport: 'udp', address: '127.0.0.1', port: 5062, connectionId: undefined },
  };
}

describe('phoneTarget', () => {
  const location = (list: Binding[]) => ({
    lookup: (aor: string) => (aor === 'sip:alice@127.0.0.1' ? list : []),
  });

  it('calls a registered sip phone at its best contact, through its flow, with auto-answer', () => {
    const t = phoneTarget(
      { id: 'ph', kind: 'sip', sipUser: 'alice' },
      {
        host: '127.0.0.1',
        trunkOutboundUri: undefined,
        location: location([
          binding('sip:alice@127.0.0.1:6000', 0.5, 9),
          binding('sip:alice@127.0.0.1:6002', 1, 5),
        ]),
      },
    );
    expect(t).toEqual({
      uri: 'sip:alice@127.0.0.1:6002',
      destination: { transport: 'udp', address: '127.0.0.1', port: 5062, connectionId: undefined },
      autoAnswer: true,
    });
  });

  it('finds no target for an unregistered phone', () => {
    expect(
      phoneTarget(
        { id: 'ph', kind: 'sip', sipUser: 'bob' },
        { host: '127.0.0.1', trunkOutboundUri: undefined, location: location([]) },
      ),
    ).toBeUndefined();
  });

  it('dials a remote number through the trunk, ringing (no auto-answer)', () => {
    expect(
      phoneTarget(
        { id: 'ph', kind: 'remote', number: '+15550100' },
        { host: '127.0.0.1', trunkOutboundUri: 'sip:127.0.0.1:5080', location: location([]) },
      ),
    ).toEqual({ uri: 'sip:+15550100@127.0.0.1:5080', autoAnswer: false });
    expect(
      phoneTarget(
        { id: 'ph', kind: 'remote', number: '1' },
        { host: 'h', trunkOutboundUri: undefined, location: location([]) },
      ),
    ).toBeUndefined();
  });

  it('replaces any user part of the trunk URI and keeps its parameters', () => {
    expect(numberViaTrunk('5000', 'sip:gw@10.0.0.1:5080;transport=tcp')).toBe(
      'sip:5000@10.0.0.1:5080;transport=tcp',
    );
  });

  it("answers a trunk's challenges with the user and password of its outbound URI, never sent", () => {
    expect(trunkTarget('+15550123', 'sip:earshot:s%40cret@10.0.0.1:5080;transport=tcp')).toEqual({
      uri: 'sip:+15550123@10.0.0.1:5080;transport=tcp',
      autoAnswer: false,
      credentials: { username: 'earshot', password: 's@cret' },
    });
    // A remote phone goes through the same trunk with the same credentials.
    expect(
      phoneTarget(
        { id: 'ph', kind: 'remote', number: '15550100' },
        { host: 'h', trunkOutboundUri: 'sip:earshot:pw@gw.example', location: location([]) },
      ),
    ).toEqual({
      uri: 'sip:15550100@gw.example',
      autoAnswer: false,
      credentials: { username: 'earshot', password: 'pw' },
    });
    // No password (a user alone, or no userinfo), or a malformed escape: no credentials.
    expect(trunkCredentials('sip:gw@10.0.0.1:5080')).toBeUndefined();
    expect(trunkCredentials('sip:10.0.0.1:5080')).toBeUndefined();
    expect(trunkCredentials('sip:u:%zz@10.0.0.1')).toBeUndefined();
    expect(trunkTarget('1', 'sip:10.0.0.1:5080')).toEqual({ uri: 'sip:1@10.0.0.1:5080', autoAnswer: false });
  });

  it('prefers the username/password fields over the URI userinfo and takes callerId as the From user', () => {
    const fields = { outboundUsername: 'acct', outboundPassword: 'field-pw', callerId: '+15550199' };
    expect(trunkTarget('5000', 'sip:old:uri-pw@gw.example:5060', fields)).toEqual({
      uri: 'sip:5000@gw.example:5060',
      autoAnswer: false,
      credentials: { username: 'acct', password: 'field-pw' },
      fromUser: '+15550199',
    });
    // Fields without a password fall back to the URI; callerId alone changes only the From user.
    expect(trunkTarget('5000', 'sip:old:uri-pw@gw.example', { callerId: '42' })).toEqual({
      uri: 'sip:5000@gw.example',
      autoAnswer: false,
      credentials: { username: 'old', password: 'uri-pw' },
      fromUser: '42',
    });
    expect(
      phoneTarget(
        { id: 'ph', kind: 'remote', number: '15550100' },
        { host: 'h', trunkOutboundUri: 'sip:gw.example', trunk: fields, location: location([]) },
      ),
    ).toEqual({
      uri: 'sip:15550100@gw.example',
      autoAnswer: false,
      credentials: { username: 'acct', password: 'field-pw' },
      fromUser: '+15550199',
    });
  });
});
