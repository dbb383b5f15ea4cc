import { findPhoneOfUser } from '../store/phone.repository.js';
import { listTrunks } from '../store/trunk.repository.js';
import type { OutboundCallLegs } from './app/call-side-effects.js';
import { CallLeg, LegState } from './call-leg.js';
import type { CallRuntime } from './call-runtime.js';
import { placeOutbound } from './outbound-call.js';
import { phoneTarget, trunkTarget } from './phone-target.js';
import type { WebRtcAwareTarget } from './webrtc-leg.js';

/**
 * An agent's outbound call (SPEC §4 "an agent can place a call to a number through the trunk").
 *
 * Order (docs/calls.md "Outbound"): **the agent's phone first, then the number.** The domain starts
 * the conversation with the agent `connected` hearing ringback and the customer `alerting`; calling
 * the number first could let the customer answer into silence while the agent's phone still rings.
 * `sip`/`webrtc` phones are auto-answered (RFC 5373 headers), so the agent leg is up at once.
 *
 * Both legs are entered in the leg table synchronously, before the conversation is published, so
 * the reconciler (which places a leg for every `alerting` party without one) leaves them to us; a
 * release of either (the conversation ended, the API disconnected a party) aborts what is pending.
 *
 * Outcomes: agent phone unreachable / not answering → the conversation ends (the number is never
 * called); number answered → `answer`; number failed → `no-answer` on the customer with the reason
 * (`declined` busy, `no-answer`, `phone-unreachable` for 503/timeouts/no trunk), then
 * `conversation.end` (BYE to the agent). A trunk that challenges (401/407) is answered with its
 * `username`/`password` (else its outbound URI's userinfo), and its `callerId` is the From user
 * (`trunkTarget`).
 */
export function placeOutboundConversation(
  rt: CallRuntime,
  call: OutboundCallLegs,
  committed: Promise<void>,
): void {
  const legOf = (participantId: string, purpose: 'agent' | 'customer', target: string) => {
    const leg = new CallLeg(
      {
        participantId,
        conversationId: call.conversationId,
        orgId: call.orgId,
        purpose,
        direction: 'outbound',
        state: LegState.Inviting,
        target,
      },
      rt.clock,
    );
    rt.legs.set(participantId, leg);
    return leg;
  };
  const agentLeg = legOf(call.agentParticipantId, 'agent', `user:${call.userId}`);
  const numberLeg = legOf(call.customerParticipantId, 'customer', `tel:${call.number}`);
  void rt.track(run(rt, call, committed, agentLeg, numberLeg));
}

async function run(
  rt: CallRuntime,
  call: OutboundCallLegs,
  committed: Promise<void>,
  agentLeg: CallLeg,
  numberLeg: CallLeg,
): Promise<void> {
  const log = rt.log.child({ conversationId: call.conversationId, outbound: true });
  try {
    await committed;
  } catch {
    await rt.release(agentLeg, 'not committed');
    await rt.release(numberLeg, 'not committed');
    return;
  }
  const cmd = (c: Parameters<CallRuntime['command']>[2]) => rt.command(call.orgId, call.conversationId, c);
  const phone = await findPhoneOfUser(rt.db, call.orgId, call.userId);
  const trunk = (await listTrunks(rt.db, call.orgId)).find((t) => t.outboundUri);
  const agentTarget: WebRtcAwareTarget | undefined = phone
    ? (() => {
        const t = phoneTarget(phone, {
          host: rt.settings.sipHost,
          location: rt.location,
          trunkOutboundUri: trunk?.outboundUri,
          ...(trunk ? { trunk } : {}),
        });
        return t && phone.kind === 'webrtc' ? { ...t, webrtc: true } : t;
      })()
    : undefined;
  const agentGone = async (why: string) => {
    log.info({ why }, 'outbound call: the agent phone was not reached');
    // End first: while the number's participant is alerting, a leg-less moment would let the
    // reconciler place it.
    await cmd({ type: 'conversation.end' });
    await rt.release(numberLeg, why);
    await rt.release(agentLeg, why);
  };
  if (!agentTarget) {
    await agentGone('agent phone unreachable');
    return;
  }
  await placeOutbound(rt, agentLeg, agentTarget, {
    answered: async () => {
      if (numberLeg.ended) return; // the conversation ended while the agent's phone answered
      if (!trunk?.outboundUri) {
        log.info({}, 'outbound call: no trunk with an outbound URI');
        await rt.release(numberLeg, 'no trunk');
        await cmd({
          type: 'no-answer',
          participantId: call.customerParticipantId,
          reason: 'phone-unreachable',
        });
        await cmd({ type: 'conversation.end' });
        return;
      }
      // Not awaited: this callback returns once the agent's leg is up; the number rings meanwhile.
      void rt.track(
        placeOutbound(rt, numberLeg, trunkTarget(call.number, trunk.outboundUri, trunk), {
          answered: async () => {
            if (!(await cmd({ type: 'answer', participantId: call.customerParticipantId })))
              await rt.release(numberLeg, 'answer refused');
          },
          failed: async (reason) => {
            log.info({ reason }, 'outbound call: the number was not reached');
            // The number's outcome is its `participant.left` reason: busy (486/600/603) →
            // `declined`, no answer (480/487, ring timeout) → `no-answer`, anything else (503,
            // a timeout, no route) → `phone-unreachable` (`failureOfStatus`).
            await cmd({ type: 'no-answer', participantId: call.customerParticipantId, reason });
            await cmd({ type: 'conversation.end' });
          },
        }),
      );
    },
    failed: (reason) => agentGone(reason),
  });
}
