import type { ProvisioningDoc } from './provisioning.js';

/**
 * CONTRACT.md §1 `npm start`: the demo org. Logins (the server binds 127.0.0.1 only in demo):
 * `admin`/`admin`, `supervisor`/`supervisor`, `agent1`…`agent4`/`agent`.
 */
export const DEMO_PROVISIONING: ProvisioningDoc = {
  org: { name: 'Demo' },
  trunks: [{ name: 'pstn', inbound: { allow: ['127.0.0.1'] }, outbound: { uri: 'sip:127.0.0.1:5080' } }],
  queues: [{ name: 'Support', number: '5000', members: ['agent1', 'agent2', 'agent3', 'agent4'] }],
  users: [
    { username: 'admin', name: 'Demo Admin', password: 'admin', roles: ['admin'], phone: { kind: 'webrtc' } },
    {
      username: 'supervisor',
      name: 'Demo Supervisor',
      password: 'supervisor',
      roles: ['supervisor'],
      phone: { kind: 'webrtc' },
    },
    ...[1, 2, 3, 4].map((i) => ({
      username: `agent${i}`,
      name: `Agent ${i}`,
      password: 'agent',
      roles: ['agent' as const],
      phone: { kind: 'sip' as const, sipUser: `agent${i}`, sipPassword: `agent${i}` },
    })),
  ],
};
