import { createSocket, type Socket } from 'node:dgram';
import { parseMessage } from '../../src/sip/message/parse-message.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/sip-message.js';

type Msg = SipRequest | SipResponse;

/**
 * A raw SIP peer on a UDP socket for tests: sends bytes, and waits (with a deadline, never a
 * sleep) for the next received message matching a predicate.
 */
export class UdpPeer {
  private readonly inbox: Msg[] = [];
  private waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  readonly raw: Buffer[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      this.raw.push(data);
      let m: Msg;
      try {
        m = parseMessage(data);
      } catch {
        return;
      }
      const w = this.waiters.find((x) => x.pred(m));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(m);
      } else this.inbox.push(m);
    });
  }

  static async open(): Promise<UdpPeer> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new UdpPeer(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Buffer | string, port: number): void {
    this.socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1');
  }

  /** The next message matching `pred` (already received or to come), or a rejection after `ms`. */
  next(pred: (m: Msg) => boolean = () => true, ms = 3000): Promise<Msg> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Msg);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: Msg) => (clearTimeout(t), resolve(m)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error('no matching SIP message before the deadline'));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Raw datagrams received so far (parseable or not), emptied. */
  drainRaw(): Buffer[] {
    return this.raw.splice(0);
  }

  /** Messages received and not yet taken. */
  drain(): Msg[] {
    return this.inbox.splice(0);
  }

  close(): void {
    this.socket.close();
  }
}

/** A minimal valid OPTIONS from a peer (for "still alive" probes). */
export function optionsRequest(peerPort: number, targetPort: number, callId: string): string {
  return [
    `OPTIONS sip:earshot@127.0.0.1:${targetPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=z9hG4bK${callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1:${peerPort}>;tag=p${callId}`,
    `To: <sip:earshot@127.0.0.1:${targetPort}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
