import { describe, expect, it } from 'vitest';
import {
  answerAudioOffer,
  answerDirection,
  parseAudioDescription,
  readAudioAnswer,
  writeAudioDescription,
} from './sdp-audio.js';

const baresipOffer = [
  'v=0',
  'o=- 123 456 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 10000 RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendonly',
  '',
].join('\r\n');

describe('SDP offer/answer (RFC 3264)', () => {
  it('parses codecs in preference order, telephone-event, ptime and direction', () => {
    expect(parseAudioDescription(baresipOffer)).toEqual({
      address: '127.0.0.1',
      port: 10000,
      codecs: [
        { name: 'PCMA', payloadType: 8 },
        { name: 'PCMU', payloadType: 0 },
      ],
      telephoneEventPt: 101,
      ptime: 20,
      direction: 'sendonly',
    });
  });

  it('answers with the first offered codec we accept and the reversed direction', () => {
    const { sdp, negotiated } = answerAudioOffer(baresipOffer, {
      address: '127.0.0.1',
      port: 20000,
      telephoneEventPt: 101,
    });
    expect(negotiated).toEqual({
      codec: 'PCMA',
      payloadType: 8,
      ptime: 20,
      telephoneEventPt: 101,
      direction: 'recvonly',
      remote: { address: '127.0.0.1', port: 10000 },
    });
    const back = parseAudioDescription(sdp);
    expect(back).toMatchObject({
      port: 20000,
      codecs: [{ name: 'PCMA', payloadType: 8 }],
      direction: 'recvonly',
      telephoneEventPt: 101,
    });
    expect(
      answerAudioOffer(baresipOffer, { address: '127.0.0.1', port: 1, accept: ['PCMU'] }).negotiated.codec,
    ).toBe('PCMU');
  });

  it('refuses an offer without PCMU/PCMA, and unparseable or audio-less SDP', () => {
    const g722 = baresipOffer
      .replace('m=audio 10000 RTP/AVP 8 0 101', 'm=audio 10000 RTP/AVP 9')
      .replace(/a=rtpmap:[08] .*\r\n/g, '');
    expect(() => answerAudioOffer(g722, { address: '127.0.0.1', port: 2 })).toThrow(
      expect.objectContaining({ code: 'MEDIA_NO_COMMON_CODEC' }),
    );
    expect(() => parseAudioDescription('v=0\r\ns=-\r\n')).toThrow(
      expect.objectContaining({ code: 'MEDIA_SDP_INVALID' }),
    );
  });

  it('maps every direction per RFC 3264 §6.1', () => {
    expect(answerDirection('sendrecv')).toBe('sendrecv');
    expect(answerDirection('sendonly')).toBe('recvonly');
    expect(answerDirection('recvonly')).toBe('sendonly');
    expect(answerDirection('inactive')).toBe('inactive');
    expect(answerDirection('sendrecv', 'sendonly')).toBe('sendonly');
  });

  it('reads an answer to our offer; 0.0.0.0 (old-style hold) gives no remote', () => {
    const offer = writeAudioDescription({
      address: '127.0.0.1',
      port: 20002,
      codecs: ['PCMU', 'PCMA'],
      telephoneEventPt: 101,
    });
    const answer = answerAudioOffer(offer, { address: '0.0.0.0', port: 30000, telephoneEventPt: 101 }).sdp;
    const n = readAudioAnswer(answer, ['PCMU', 'PCMA']);
    expect(n.codec).toBe('PCMU');
    expect(n.remote).toBeUndefined();
    expect(n.direction).toBe('sendrecv');
  });
});
