/**
 * A supervisor's SIP phone for tests, built on our SIP stack: registers with digest, answers every
 * INVITE at once (as the RFC 5373 auto-answer asks), sends nothing, and records every RTP payload it
 * receives so a test can measure what the supervisor hears.
 */
import { createSocket, type Socket } from 'node:dgram';
import pino from 'pino';
import { SipRegistration } from '../../src/demo/sip-registration.js';
import { decodeRtp } from '../../src/media/rtp-packet.js';
import { answerAudioOffer } from '../../src/media/sdp-audio.js';
import { type Dialog, SipUserAgent } from '../../src/sip/index.js';
import { SystemClock } from '../../src/util/clock.js';

export class ListeningPhone {
  readonly received: Array<{ at: number; payload: Uint8Array }> = [];
  readonly dialogs: Dialog[] = [];
  autoAnswerHeaders: string[] = [];

  private constructor(
    readonly ua: SipUserAgent,
    private readonly rtp: Socket,
    private readonly registration: SipRegistration,
  ) {}

  static async start(o: {
    host: string;
    sipPort: number;
    user: string;
    password: string;
  }): Promise<ListeningPhone> {
    const clock = new SystemClock();
    const logger = pino({ level: 'silent' });
    const ua = await SipUserAgent.start({ host: o.host, port: 0, transports: ['udp'], clock, logger });
    const rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, o.host, () => r()));
    const registration = new SipRegistration(ua, {
      registrar: { host: o.host, port: o.sipPort },
      username: o.user,
      password: o.password,
      clock,
      logger,
    });
    const phone = new ListeningPhone(ua, rtp, registration);
    rtp.on('message', (m) => {
      const p = decodeRtp(m);
      if (typeof p !== 'number' && p.payloadType === 0)
        phone.received.push({ at: Date.now(), payload: p.payload });
    });
    ua.onInvite(async (req, uas) => {
      phone.autoAnswerHeaders = [req.get('call-info') ?? '', req.get('answer-mode') ?? ''];
      const offer = uas.offer;
      if (!offer) return uas.reject(488);
      const { sdp } = answerAudioOffer(offer, {
        address: o.host,
        port: rtp.address().port,
        accept: ['PCMU'],
      });
      phone.dialogs.push(await uas.answer(sdp));
    });
    await registration.register();
    return phone;
  }

  async close(): Promise<void> {
    for (const d of this.dialogs) await d.bye();
    await this.registration.unregister();
    await this.ua.close();
    await new Promise<void>((r) => this.rtp.close(() => r()));
  }
}
