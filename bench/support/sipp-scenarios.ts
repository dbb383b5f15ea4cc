/**
 * SIPp scenarios for bench/calls-monitored.bench.ts (UDP, loopback, PCMU).
 *
 * - `registerAndHold`: one "call" per line of the `-inf` file (`registerLine`: the user, then its
 *   `[authentication …]` keyword, since SIPp 3.6 does not expand fields inside it): REGISTER, answer
 *   the 401 with digest, then hold the binding for `holdMs`. Earshot calls a registered phone over
 *   the registration's flow (the source address), so the same SIPp instance answers those INVITEs
 *   through its out-of-call scenario (`-oocsf`, `autoAnswer`), with `-rtp_echo` on `[media_port]`:
 *   every RTP packet Earshot sends to the phone comes back, so each leg has an incoming stream.
 * - `customer`: INVITE `[service]` (the queue number) with an `rtp_stream` of a µ-law file looping
 *   from `[rtpstream_audio_port]`, talk for `talkMs`, BYE.
 */

const SDP_ECHO = `v=0
o=phone 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=sendrecv`;

/** A line of the `-inf` file of `registerAndHold`. */
export function registerLine(user: string, password: string): string {
  return `${user};[authentication username=${user} password=${password}]`;
}

export function registerAndHold(holdMs: number): string {
  const register = (cseq: number, auth: string) => `
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]R[call_number]
      To: <sip:[field0]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: 3600${auth}
      Content-Length: 0

    ]]>
  </send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="register and hold the binding">${register(1, '')}
  <recv response="401" auth="true"/>${register(2, '\n      [field1]')}
  <recv response="200"/>
  <pause milliseconds="${Math.round(holdMs)}"/>
</scenario>
`;
}

/** The phones' answer to Earshot's INVITE (out-of-call scenario): 200 with SDP, ACK, BYE, 200. */
export function autoAnswer(): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="auto-answer phone">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]A[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:phone@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

${SDP_ECHO}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
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
  </send>
</scenario>
`;
}

export function customer(audioFile: string, talkMs: number): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="customer">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+1555[call_number]@[local_ip]>;tag=[pid]C[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:customer@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=customer 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [rtpstream_audio_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=sendrecv
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+1555[call_number]@[local_ip]>;tag=[pid]C[call_number]
      To: <sip:[service]@[remote_ip]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <nop>
    <action>
      <exec rtp_stream="${audioFile},-1,0"/>
    </action>
  </nop>
  <pause milliseconds="${Math.round(talkMs)}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+1555[call_number]@[local_ip]>;tag=[pid]C[call_number]
      To: <sip:[service]@[remote_ip]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
`;
}
