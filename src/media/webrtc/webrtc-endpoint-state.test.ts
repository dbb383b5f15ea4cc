import { describe, expect, it } from 'vitest';
import { checkWebRtcTransition, WebRtcEndpointState as S } from './webrtc-endpoint-state.js';

describe('WebRTC endpoint state machine', () => {
  it('allows the transitions of the diagram', () => {
    for (const [from, to] of [
      [S.New, S.Offering],
      [S.New, S.Connecting],
      [S.Offering, S.Connecting],
      [S.Connecting, S.Connected],
      [S.Connecting, S.Failed],
      [S.Connected, S.Failed],
      [S.Failed, S.Closed],
      [S.Connected, S.Closed],
    ] as const) {
      expect(() => checkWebRtcTransition('e', from, to)).not.toThrow();
    }
  });

  it('rejects the others with WEBRTC_INVALID_STATE, and nothing leaves closed', () => {
    for (const [from, to] of [
      [S.New, S.Connected],
      [S.Offering, S.Offering],
      [S.Offering, S.Connected],
      [S.Connected, S.Connecting],
      [S.Failed, S.Connected],
      [S.Closed, S.Closed],
      [S.Closed, S.New],
    ] as const) {
      expect(() => checkWebRtcTransition('e', from, to)).toThrow(
        expect.objectContaining({ code: 'WEBRTC_INVALID_STATE' }),
      );
    }
  });
});
