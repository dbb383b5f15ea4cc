import { describe, expect, it } from 'vitest';
import { answeredCodec, readWebRtcAudio } from './webrtc-sdp.js';

/** A Chromium offer (trimmed to the audio section Chromium sends for one microphone track). */
const CHROMIUM_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS 3afefe31',
  'm=audio 34662 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 127.0.0.1',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:276112711 1 udp 2122194687 127.0.0.1 34662 typ host generation 0 network-id 3',
  'a=candidate:4236305327 1 udp 2122063615 192.0.2.2 56297 typ host generation 0 network-id 1',
  'a=ice-ufrag:Y3YX',
  'a=ice-pwd:JETX6mH+At8ykQrE+8uOY1Vz',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 D7:B2:51:8F:73:05:12:12:85:E0:B1:A8:FC:00:A2:62:A9:3B:F3:C6:79:ED:06:6E:6C:78:C7:C9:A4:14:9B:72',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:312169949 cname:6zSWyX7PrD1xNkTk',
  '',
].join('\r\n');

const edit = (from: RegExp, to: string) => CHROMIUM_OFFER.replace(from, to);
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('readWebRtcAudio', () => {
  it("reads a Chromium offer: PCMU then PCMA in the offerer's order, actpass, the fingerprint, the candidates", () => {
    const a = readWebRtcAudio(CHROMIUM_OFFER, 'offer');
    expect(a.codecs).toEqual([
      { name: 'PCMU', payloadType: 0 },
      { name: 'PCMA', payloadType: 8 },
    ]);
    expect(a.setup).toBe('actpass');
    expect(a.fingerprints).toEqual([{ algorithm: 'sha-256', value: expect.stringMatching(/^D7:B2:/) }]);
    expect(a.candidates.map((c) => c.address)).toEqual(['127.0.0.1', '192.0.2.2']);
  });

  it('accepts a session-level fingerprint', () => {
    const sdp = edit(/^a=fingerprint:.*\r\n/m, '').replace(
      't=0 0\r\n',
      't=0 0\r\na=fingerprint:sha-384 AA:BB:CC:DD\r\n',
    );
    expect(readWebRtcAudio(sdp, 'offer').fingerprints).toEqual([
      { algorithm: 'sha-384', value: 'AA:BB:CC:DD' },
    ]);
  });

  it('refuses plain RTP (no DTLS-SRTP) with WEBRTC_NOT_SECURE', () => {
    expect(code(() => readWebRtcAudio(edit(/UDP\/TLS\/RTP\/SAVPF/, 'RTP/AVP'), 'offer'))).toBe(
      'WEBRTC_NOT_SECURE',
    );
    expect(code(() => readWebRtcAudio(edit(/UDP\/TLS\/RTP\/SAVPF/, 'RTP/SAVP'), 'offer'))).toBe(
      'WEBRTC_NOT_SECURE',
    );
  });

  it('refuses a missing or SHA-1 fingerprint with WEBRTC_NOT_SECURE', () => {
    expect(code(() => readWebRtcAudio(edit(/^a=fingerprint:.*\r\n/m, ''), 'offer'))).toBe(
      'WEBRTC_NOT_SECURE',
    );
    expect(code(() => readWebRtcAudio(edit(/sha-256/, 'sha-1'), 'offer'))).toBe('WEBRTC_NOT_SECURE');
  });

  it('refuses SDP without a=rtcp-mux or ICE credentials with WEBRTC_SDP_UNSUPPORTED', () => {
    expect(code(() => readWebRtcAudio(edit(/^a=rtcp-mux\r\n/m, ''), 'offer'))).toBe('WEBRTC_SDP_UNSUPPORTED');
    expect(code(() => readWebRtcAudio(edit(/^a=ice-pwd:.*\r\n/m, ''), 'offer'))).toBe(
      'WEBRTC_SDP_UNSUPPORTED',
    );
  });

  it('enforces a=setup per role: actpass in an offer (RFC 8842), active or passive in an answer (RFC 5763)', () => {
    expect(code(() => readWebRtcAudio(edit(/setup:actpass/, 'setup:active'), 'offer'))).toBe(
      'WEBRTC_SDP_UNSUPPORTED',
    );
    expect(code(() => readWebRtcAudio(edit(/^a=setup:.*\r\n/m, ''), 'offer'))).toBe('WEBRTC_SDP_UNSUPPORTED');
    expect(code(() => readWebRtcAudio(CHROMIUM_OFFER, 'answer'))).toBe('WEBRTC_SDP_UNSUPPORTED');
    expect(readWebRtcAudio(edit(/setup:actpass/, 'setup:active'), 'answer').setup).toBe('active');
    expect(readWebRtcAudio(edit(/setup:actpass/, 'setup:passive'), 'answer').setup).toBe('passive');
  });

  it('refuses an offer without PCMU or PCMA with MEDIA_NO_COMMON_CODEC, and garbage with MEDIA_SDP_INVALID', () => {
    const opusOnly = edit(/ 111 63 9 0 8 13 110 126/, ' 111');
    expect(code(() => readWebRtcAudio(opusOnly, 'offer'))).toBe('MEDIA_NO_COMMON_CODEC');
    expect(code(() => readWebRtcAudio('v=0\r\n', 'offer'))).toBe('MEDIA_SDP_INVALID');
    expect(code(() => readWebRtcAudio(edit(/m=audio 34662/, 'm=audio 0'), 'offer'))).toBe(
      'MEDIA_SDP_INVALID',
    );
  });
});

describe('answeredCodec', () => {
  it('is the first PCMU/PCMA payload type of the answer', () => {
    expect(answeredCodec(edit(/ 111 63 9 0 8 13 110 126/, ' 8 0'))).toEqual({ name: 'PCMA', payloadType: 8 });
    expect(answeredCodec(CHROMIUM_OFFER)).toEqual({ name: 'PCMU', payloadType: 0 });
  });
});
