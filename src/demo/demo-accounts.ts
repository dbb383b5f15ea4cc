import type { ProvisioningDoc } from '../calls/app/provisioning.js';
import type { DemoAgentAccount } from './demo-traffic.js';

/**
 * The simulated agents of a provisioning document: every user with the `agent` role and a `sip` phone
 * (for the demo org: `agent1`…`agent4`, login password `agent`, SIP password = SIP user).
 */
export function demoAgentAccounts(doc: ProvisioningDoc): DemoAgentAccount[] {
  const out: DemoAgentAccount[] = [];
  for (const u of doc.users) {
    if (!u.roles.includes('agent') || u.phone?.kind !== 'sip') continue;
    out.push({
      username: u.username,
      password: u.password,
      sipUser: u.phone.sipUser,
      sipPassword: u.phone.sipPassword,
    });
  }
  return out;
}

/** The number customers call: the document's first queue's (the demo's `5000`). */
export function demoQueueNumber(doc: ProvisioningDoc): string | undefined {
  return doc.queues[0]?.number;
}

/** The first address of the first trunk's inbound allow list (the demo's `127.0.0.1`). */
export function demoTrunkSource(doc: ProvisioningDoc): string | undefined {
  return doc.trunks[0]?.inbound.allow[0];
}
