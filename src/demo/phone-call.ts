import type { Logger } from 'pino';
import { answerAudioOffer, parseAudioDescription, writeAudioDescription } from '../media/sdp-audio.js';
import { type Dialog, DialogState, type InDialogResponder, type SipRequest } from '../sip/index.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { demoError } from './demo-errors.js';
import type { VoiceScript } from './voice-library.js';
import type { Remote, VoiceStream } from './voice-stream.js';

/** Why a simulated call ended, from this phone's side. */
export type CallEndReason = 'local-hangup' | 'remote-hangup' | 'closed';

/**
 * A confirmed call on a simulated phone.
 *
 *   Up ──hangUp() (BYE sent)──▶ Ended
 *    └──BYE received / dialog died──▶ Ended
 */
export enum PhoneCallState {
  Up = 'up',
  Ended = 'ended',
}

export type PhoneCallEvents = { ended: [reason: CallEndReason] };

/**
 * One confirmed SIP dialog with its audio: plays a voice script to the peer's RTP address, answers
 * re-INVITEs (following the peer if its media moves), and ends on BYE either way. The stream's
 * socket belongs to the call: it is closed when the call ends.
 */
export class PhoneCall extends TypedEmitter<PhoneCallEvents> {
  private current = PhoneCallState.Up;
  private sdpVersion = 2;
  endReason: CallEndReason | undefined;

  constructor(
    readonly dialog: Dialog,
    readonly stream: VoiceStream,
    remote: Remote | undefined,
    script: VoiceScript,
    private readonly log: Logger,
  ) {
    super();
    if (remote) stream.play(remote, script);
    dialog.on('reinvite', (req, res) => this.onReinvite(req, res));
    dialog.on('terminated', (reason) => {
      this.end(reason === 'bye-sent' ? 'local-hangup' : reason === 'closed' ? 'closed' : 'remote-hangup');
    });
    if (dialog.state === DialogState.Terminated) this.end('remote-hangup');
  }

  get state(): PhoneCallState {
    return this.current;
  }

  /** The single place that assigns the state. */
  private end(reason: CallEndReason): void {
    if (this.current === PhoneCallState.Ended) return;
    this.current = PhoneCallState.Ended;
    this.endReason = reason;
    void this.stream.close();
    this.emit('ended', reason);
  }

  /** RFC 3261 §15.1.1: the caller or callee "sends a BYE" to end the session. Idempotent. */
  async hangUp(): Promise<void> {
    if (this.current === PhoneCallState.Ended) return;
    const bye = this.dialog.bye();
    this.end('local-hangup');
    await bye;
  }

  /**
   * RFC 3264 §8: a re-INVITE is a new offer; we answer with our own stream (same port) and send
   * to wherever the new offer says. An offer we cannot use is refused with 488 and changes nothing.
   */
  private onReinvite(req: SipRequest, res: InDialogResponder): void {
    if (this.current === PhoneCallState.Ended) {
      res.respond(481);
      return;
    }
    const body = req.body.length ? req.bodyText : undefined;
    try {
      if (!body) {
        // RFC 3261 §14.2: an offerless re-INVITE is answered with an offer (ours).
        res.respond(200, { body: this.ourSdp(), contentType: 'application/sdp' });
        return;
      }
      const offer = parseAudioDescription(body);
      const { sdp, negotiated } = answerAudioOffer(body, {
        address: this.stream.host,
        port: this.stream.port,
        accept: ['PCMU'],
        sessionVersion: this.sdpVersion++,
      });
      res.respond(200, { body: sdp, contentType: 'application/sdp' });
      const sending = negotiated.direction === 'sendrecv' || negotiated.direction === 'sendonly';
      this.stream.setRemote(negotiated.remote);
      this.stream.setMuted(!sending || offer.port === 0);
    } catch (err) {
      this.log.debug({ err }, 're-INVITE refused');
      res.respond(488);
    }
  }

  private ourSdp(): string {
    return writeAudioDescription({
      address: this.stream.host,
      port: this.stream.port,
      codecs: ['PCMU'],
      sessionVersion: this.sdpVersion++,
    });
  }

  dump(): Record<string, unknown> {
    return {
      state: this.current,
      endReason: this.endReason,
      callId: this.dialog.id.callId,
      dialog: this.dialog.state,
      stream: this.stream.dump(),
    };
  }
}

/** Our SDP offer for a new call (PCMU only: the voices are µ-law). */
export function offerFor(stream: VoiceStream): string {
  return writeAudioDescription({
    address: stream.host,
    port: stream.port,
    codecs: ['PCMU'],
    telephoneEventPt: 101,
  });
}

/** Throws DEMO_ILLEGAL_TRANSITION unless `from → to` is in `table`. */
export function checkTransition<S extends string>(
  who: string,
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
): void {
  if (!table[from].includes(to)) throw demoError('DEMO_ILLEGAL_TRANSITION', `${who}: ${from} -> ${to}`);
}
