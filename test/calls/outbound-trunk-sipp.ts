/**
 * The SIP trunk's far end for outbound-call tests: SIPp as a UAS on a fixed port (the trunk's
 * outbound URI), playing the remote party's tone with `rtp_stream` (a looping µ-law file) and, on
 * request, challenging the first INVITE with a 407 (RFC 3261 §22.3) before answering.
 *
 * "The remote party hangs up" is driven by the test, not a timer: the scenario waits in a
 * `<recvCmd>` (SIPp's 3PCC twin socket, `-3pcc 127.0.0.1:PORT`, which SIPp listens on when its
 * first twin command is a `recvCmd`); `TrunkControl.hangUp(callId)` sends the command
 * (`Call-ID: …` and an ESC, SIPp's end of a twin message) and SIPp sends its BYE. The twin socket
 * must stay open until SIPp exits: SIPp ends itself when its twin disconnects.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { type SippPeer, startSipp, withDeadline } from '../support/sip-peers.js';

export const TRUNK_USER = 'earshot';
export const TRUNK_PASSWORD = 'trunk-secret';
export const TRUNK_REALM = 'pstn.example';
export const TRUNK_NONCE = 'f84f1cec41e6cbe5aea9c8e88d359';

const SDP = `v=0
      o=pstn 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [rtpstream_audio_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=sendrecv`;

const response = (status: string, extra = '', body?: string) => `
  <send>
    <![CDATA[
      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]P[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:pstn@[local_ip]:[local_port];transport=[transport]>${extra}
      ${body ? 'Content-Type: application/sdp\n      ' : ''}Content-Length: [len]
${body ? `\n      ${body}\n` : '\n'}
    ]]>
  </send>`;

const challenge = `${response(
  '407 Proxy Authentication Required',
  `\n      Proxy-Authenticate: Digest realm="${TRUNK_REALM}", nonce="${TRUNK_NONCE}", algorithm=MD5, qop="auth"`,
)}
  <recv request="ACK"/>
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp="Digest .*username=&quot;${TRUNK_USER}&quot;" search_in="hdr" header="Proxy-Authorization:" check_it="true" assign_to="auth"/>
    </action>
  </recv>
  <Reference variables="auth"/>`;

/** Earshot hangs up: its BYE is answered 200. */
const byeReceived = `
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>`;

/**
 * The remote party hangs up when the test says so (twin command): its BYE swaps the dialog's From
 * and To as the ACK carried them (RFC 3261 §12.2.1.1), to the 2xx's remote target (`[next_url]`).
 */
const byeSent = `
  <recvCmd/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From:[$ours]
      To:[$theirs]
      Call-ID:[$callid]
      CSeq: 101 BYE
      Contact: <sip:pstn@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>`;

export interface TrunkScenario {
  /** Answer a 407 first (the INVITE retried with credentials is then answered). */
  readonly challenge?: boolean;
  /**
   * `hangup`: answers, then BYEs when told; `wait-bye`: answers, waits for Earshot's BYE; `ring`:
   * rings until CANCELled (200, then 487); a status: rejects.
   */
  readonly outcome: 'hangup' | 'wait-bye' | 'ring' | 486 | 503;
  /** µ-law file the remote party plays (raw, 8 kHz, loops). */
  readonly audioFile: string;
}

const REASONS: Record<number, string> = { 486: 'Busy Here', 503: 'Service Unavailable' };

/** The trunk's SIPp scenario. */
export function trunkScenario(s: TrunkScenario): string {
  const invite = s.challenge
    ? `
  <recv request="INVITE" crlf="true"/>${challenge}`
    : `
  <recv request="INVITE" crlf="true" rrs="true"/>`;
  let rest: string;
  if (s.outcome === 'ring') {
    rest = `${response('100 Trying')}${response('180 Ringing')}
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]P[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]P[call_number]
      [last_Call-ID:]
      CSeq: [cseq] INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>`;
  } else if (typeof s.outcome === 'number') {
    rest = `${response('100 Trying')}${response(`${s.outcome} ${REASONS[s.outcome]}`)}
  <recv request="ACK"/>`;
  } else {
    const ack =
      s.outcome === 'hangup'
        ? `
  <recv request="ACK">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="theirs"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="ours"/>
      <ereg regexp=".*" search_in="hdr" header="Call-ID:" assign_to="callid"/>
    </action>
  </recv>`
        : `
  <recv request="ACK"/>`;
    rest = `${response('100 Trying')}${response('180 Ringing')}${response('200 OK', '', SDP)}${ack}
  <nop>
    <action>
      <exec rtp_stream="${s.audioFile},-1,0"/>
    </action>
  </nop>${s.outcome === 'hangup' ? byeSent : byeReceived}`;
  }
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="trunk ${String(s.outcome)}${s.challenge ? ' after a challenge' : ''}">${invite}${rest}
</scenario>
`;
}

/** A SIPp trunk and its twin-socket control. */
export class TrunkControl {
  private twin: Socket | undefined;

  private constructor(
    readonly sipp: SippPeer,
    private readonly twinPort: number | undefined,
  ) {}

  /**
   * Starts SIPp on `port` with `scenario`; with `twinPort` (a `hangup` scenario) connects the
   * twin socket. Resolves once SIPp's own process holds its SIP port (and its twin port): a port
   * another process took since it was found free makes SIPp exit ("Address already in use"), and
   * `start` rejects rather than mistaking that other socket for SIPp's.
   */
  static async start(o: { port: number; scenario: string; twinPort?: number }): Promise<TrunkControl> {
    const sipp = await startSipp({
      scenario: o.scenario,
      localPort: o.port,
      calls: 1,
      timeoutSeconds: 120,
      extraArgs: o.twinPort ? ['-3pcc', `127.0.0.1:${o.twinPort}`] : [],
    });
    const t = new TrunkControl(sipp, o.twinPort);
    try {
      await t.holding('udp', o.port);
      if (o.twinPort) {
        await t.holding('tcp', o.twinPort);
        await t.connectTwin();
      }
    } catch (err) {
      await t.close();
      throw err;
    }
    return t;
  }

  /** Waits (bounded condition poll) until SIPp's process holds `port`, or fails if SIPp exits. */
  private async holding(proto: 'udp' | 'tcp', port: number, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    const pid = this.sipp.child.pid;
    for (;;) {
      if (!this.sipp.running || pid === undefined)
        throw new Error(`SIPp exited before holding ${proto} ${port}\n${this.sipp.describe()}`);
      if (processHoldsPort(pid, proto, port)) return;
      if (Date.now() > deadline)
        throw new Error(`SIPp does not hold ${proto} ${port} after ${ms} ms\n${this.sipp.describe()}`);
      await withDeadline(once(this.sipp.child, 'exit'), 20, () => '').catch(() => undefined);
    }
  }

  private async connectTwin(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const sock = connect({ host: '127.0.0.1', port: this.twinPort! });
      sock.on('error', () => undefined);
      try {
        await withDeadline(once(sock, 'connect'), 1000, () => 'twin connect timeout');
        this.twin = sock;
        return;
      } catch {
        sock.destroy();
        if (Date.now() > deadline || !this.sipp.running)
          throw new Error(`SIPp twin socket ${this.twinPort} not reachable\n${this.sipp.describe()}`);
        // SIPp holds its SIP port before it listens on the twin socket: retry on its next output or shortly.
        await withDeadline(once(this.sipp.child.stdout ?? this.sipp.child, 'data'), 100, () => '').catch(
          () => undefined,
        );
      }
    }
  }

  /** The remote party hangs up the call `callId` (SIPp sends its BYE). */
  hangUp(callId: string): void {
    if (!this.twin) throw new Error('no twin socket: not a hangup scenario');
    this.twin.write(`Call-ID: ${callId}\r\n\r\n\x1b`);
  }

  /** SIPp's exit code once it has finished its one call. */
  async finished(ms = 15_000): Promise<number | null> {
    return (await this.sipp.finished(ms)).code;
  }

  describe(): string {
    return this.sipp.describe();
  }

  async close(): Promise<void> {
    await this.sipp.close();
    this.twin?.destroy();
  }
}

/** Whether process `pid` has a socket bound to local `port` (Linux: /proc/net/{udp,tcp} inodes among its fds). */
export function processHoldsPort(pid: number, proto: 'udp' | 'tcp', port: number): boolean {
  const inodes = new Set<string>();
  for (const table of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local && Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && cols[9])
        inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/** `Name: value` headers of a SIP message's head (lower-cased names; the first of each). */
export function sipHeaders(text: string): { startLine: string; headers: Map<string, string> } {
  const head = text.split('\r\n\r\n')[0] ?? '';
  const [startLine = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) {
      const name = l.slice(0, i).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, l.slice(i + 1).trim());
    }
  }
  return { startLine, headers };
}

/** Parameters of a `Digest k="v", k=v` credential. */
export function digestParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = value.replace(/^Digest\s+/i, '');
  for (const m of body.matchAll(/([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) {
    out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return out;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The digest `response` a UAC with `password` must send for `method` (RFC 2617 §3.2.2, MD5, qop auth or none). */
export function expectedDigestResponse(p: Record<string, string>, method: string, password: string): string {
  const ha1 = md5(`${p.username}:${p.realm}:${password}`);
  const ha2 = md5(`${method}:${p.uri}`);
  return p.qop
    ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
    : md5(`${ha1}:${p.nonce}:${ha2}`);
}
