import { describe, expect, it } from 'vitest';
import { decodeTable } from './g711.js';
import { JitterBuffer, JitterState, PopResult, PushResult, quietCodeTable } from './jitter-buffer.js';

const frame = (n: number) => new Uint8Array(160).fill(n & 0xff);
function push(jb: JitterBuffer, seq: number, mark = seq, ssrc = 1): PushResult {
  return jb.push(ssrc, seq & 0xffff, frame(mark), 0, 160);
}
/** Pops until a frame comes (or n tries); returns the marks of the frames played. */
function play(jb: JitterBuffer, n: number): (number | 'C' | '-')[] {
  const out: (number | 'C' | '-')[] = [];
  for (let i = 0; i < n; i++) {
    const r = jb.pop();
    out.push(r === PopResult.Frame ? jb.frame[jb.frameOffset]! : r === PopResult.Concealed ? 'C' : '-');
  }
  return out;
}

describe('JitterBuffer', () => {
  it('reorders packets that arrive out of order', () => {
    const jb = new JitterBuffer({ minDepth: 2 });
    for (const s of [10, 12, 11, 13]) push(jb, s);
    expect(play(jb, 4)).toEqual([10, 11, 12, 13]);
    expect(jb.currentState).toBe(JitterState.Playing);
  });

  it('conceals a single loss by repeating the previous frame, and plays nothing for a longer gap', () => {
    const jb = new JitterBuffer({ minDepth: 1 });
    for (const s of [1, 2, 4, 7, 8]) push(jb, s);
    expect(play(jb, 8)).toEqual([1, 2, 'C', 4, 'C', '-', 7, 8]);
    expect(jb.stats.lost).toBe(3);
    expect(jb.stats.concealed).toBe(2);
  });

  it('drops duplicates and late packets, and counts them', () => {
    const jb = new JitterBuffer({ minDepth: 1 });
    push(jb, 100);
    expect(push(jb, 100)).toBe(PushResult.Duplicate);
    push(jb, 101);
    expect(play(jb, 2)).toEqual([100, 101]);
    expect(push(jb, 99)).toBe(PushResult.Late);
    expect(push(jb, 100)).toBe(PushResult.Late);
    expect(jb.stats).toMatchObject({ duplicates: 1, late: 2 });
  });

  it('plays straight across the 16-bit sequence wrap', () => {
    const jb = new JitterBuffer({ minDepth: 1 });
    const seqs = [65533, 65534, 65535, 65536, 65537, 65538];
    const out: (number | 'C' | '-')[] = [];
    for (const s of seqs) {
      push(jb, s, s - 65530);
      out.push(...play(jb, 1));
    }
    expect(out).toEqual([3, 4, 5, 6, 7, 8]);
    expect(jb.stats.resyncs).toBe(0);
  });

  it('restarts on an SSRC change without playing the old stream', () => {
    const jb = new JitterBuffer({ minDepth: 1 });
    push(jb, 500, 1, 111);
    push(jb, 501, 2, 111);
    expect(play(jb, 1)).toEqual([1]);
    expect(push(jb, 7, 50, 222)).toBe(PushResult.Resync);
    push(jb, 8, 51, 222);
    expect(play(jb, 2)).toEqual([50, 51]);
    expect(jb.stats.resyncs).toBe(1);
  });

  it('resynchronises on a sequence jump beyond its capacity', () => {
    const jb = new JitterBuffer({ minDepth: 1 });
    push(jb, 1, 1);
    play(jb, 1);
    expect(push(jb, 5000, 9)).toBe(PushResult.Resync);
    expect(play(jb, 1)).toEqual([9]);
  });

  it('adapts its depth to jitter within its bounds (20–200 ms by default)', () => {
    const jb = new JitterBuffer();
    jb.jitterMs = 0;
    expect(jb.targetDepth).toBe(1);
    jb.jitterMs = 8;
    expect(jb.targetDepth).toBe(2);
    jb.jitterMs = 1000;
    expect(jb.targetDepth).toBe(10);
    expect(new JitterBuffer({ maxDepth: 3 }).targetDepth).toBe(1);
  });

  it('learns a burst: after one 120 ms stall, the next one of that size plays through without a gap', () => {
    const jb = new JitterBuffer({ initialPeakMs: 0 });
    let seq = 0;
    let now = 1000;
    const out: (number | 'C' | '-')[] = [];
    // The sender stalls 120 ms at t=40 and t=100 (ticks of 20 ms), then delivers the backlog at once.
    for (let t = 0; t < 160; t++) {
      const stalled = (t >= 40 && t < 46) || (t >= 100 && t < 106);
      for (; !stalled && seq <= t; seq++) jb.push(1, seq, frame(seq), 0, 160, now);
      out.push(...play(jb, 1));
      now += 20;
    }
    expect(jb.peakDelayMs).toBeGreaterThanOrEqual(120);
    expect(jb.targetDepth).toBeGreaterThanOrEqual(7);
    // The first stall underruns (conceal, silence); the second is absorbed: no gap after t=60.
    expect(out.slice(0, 60)).toContain('-');
    const later = out.slice(60);
    expect(later.every((x) => typeof x === 'number')).toBe(true);
    expect(later).toEqual(later.map((_, i) => (later[0] as number) + i)); // in order, none dropped
    expect(jb.stats.underruns).toBe(1);
  });

  it('assumes bursts of initialPeakMs until it has observed a full window', () => {
    const jb = new JitterBuffer({ initialPeakMs: 100, peakWindowFrames: 80 });
    let now = 0;
    const feed = (from: number, to: number) => {
      for (let s = from; s < to; s++) {
        now += 20;
        jb.push(1, s, frame(s), 0, 160, now);
        jb.pop();
      }
    };
    feed(0, 79);
    expect(jb.targetDepth).toBe(6); // 1 + 100 ms / 20 ms
    feed(79, 200);
    expect(jb.stats.resyncs).toBe(0);
    expect(jb.peakDelayMs).toBe(0);
    expect(jb.targetDepth).toBe(1);
  });

  it('resumes with the next frame after an underrun, without re-buffering to its target', () => {
    const jb = new JitterBuffer({ minDepth: 2 });
    push(jb, 1);
    push(jb, 2);
    expect(play(jb, 4)).toEqual([1, 2, 'C', '-']);
    expect(jb.currentState).toBe(JitterState.Underrun);
    push(jb, 3);
    expect(play(jb, 1)).toEqual([3]);
    expect(jb.stats.underruns).toBe(1);
  });

  it('absorbs a slower sender with one concealed frame per underrun', () => {
    const jb = new JitterBuffer({ minDepth: 1 });
    let seq = 0;
    const out: (number | 'C' | '-')[] = [];
    // The sender delivers 9 frames per 10 ticks (10 % slow, exaggerated drift).
    for (let t = 0; t < 100; t++) {
      if (t % 10 !== 9) push(jb, seq, seq++);
      out.push(...play(jb, 1));
    }
    expect(jb.stats.underruns).toBeGreaterThan(0);
    const played = out.filter((x) => typeof x === 'number');
    expect(played).toEqual([...played].sort((a, b) => (a as number) - (b as number)));
    expect(new Set(played).size).toBe(played.length);
  });

  it('absorbs a faster sender by dropping a frame once the excess persists', () => {
    const jb = new JitterBuffer({ minDepth: 1, drainAfterTicks: 5 });
    let seq = 0;
    for (let t = 0; t < 200; t++) {
      push(jb, seq, seq++);
      if (t % 5 === 0) push(jb, seq, seq++); // 20 % fast
      play(jb, 1);
    }
    expect(jb.stats.dropped).toBeGreaterThan(0);
    expect(jb.depth).toBeLessThanOrEqual(jb.capacity);
    expect(jb.stats.resyncs).toBe(0);
  });

  it('keeps a source nobody hears at its target depth every tick, counting the discards apart', () => {
    // A sender that delivered a 200 ms backlog at once, then paced: heard, the excess would drain
    // one frame per drainAfterTicks; unheard, it is trimmed at once and the counts stay clean.
    const jb = new JitterBuffer({ initialPeakMs: 0, minDepth: 2 });
    jb.heard = false;
    let seq = 0;
    for (; seq < 10; seq++) push(jb, seq);
    const depths: number[] = [];
    for (let t = 0; t < 50; t++) {
      push(jb, seq, seq++);
      jb.pop();
      depths.push(jb.depth);
    }
    expect(Math.max(...depths.slice(1))).toBeLessThanOrEqual(jb.targetDepth);
    expect(jb.stats.discardedUnheard).toBeGreaterThanOrEqual(7);
    expect(jb.stats).toMatchObject({ dropped: 0, droppedQuiet: 0, late: 0, lost: 0 });
    // A late packet for nobody is not "late" either.
    push(jb, seq - 20);
    expect(jb.stats.late).toBe(0);
    // Heard from now on: the next frame played is the one target − 1 frames behind the newest.
    jb.heard = true;
    push(jb, seq, seq);
    expect(play(jb, 1)).toEqual([(seq - jb.targetDepth + 1) & 0xff]);
    push(jb, seq - 30);
    expect(jb.stats.late).toBe(1);
  });

  it('removes quiet frames, not audible ones, when the target falls after the initial assumption', () => {
    const run = (withQuietTable: boolean) => {
      const jb = new JitterBuffer({ initialPeakMs: 100, peakWindowFrames: 80 });
      if (withQuietTable) jb.quietCodes = quietCodeTable(decodeTable('PCMU'));
      let now = 0;
      for (let s = 0; s < 400; s++) {
        now += 20;
        // µ-law 0xff is a zero sample (quiet); 0x80 is near full scale. One frame in 10 is quiet.
        jb.push(1, s, frame(s % 10 === 0 ? 0xff : 0x80), 0, 160, now);
        jb.pop();
      }
      return jb;
    };
    const withQuiet = run(true);
    expect(withQuiet.targetDepth).toBe(1);
    expect(withQuiet.depth).toBeLessThanOrEqual(2);
    expect(withQuiet.stats).toMatchObject({ dropped: 0, lost: 0, late: 0 });
    expect(withQuiet.stats.droppedQuiet).toBeGreaterThanOrEqual(3);
    // Without the table every frame counts as audible: the same excess is dropped audibly.
    const without = run(false);
    expect(without.stats.droppedQuiet).toBe(0);
    expect(without.stats.dropped).toBe(withQuiet.stats.droppedQuiet);
  });

  it('drops an audible frame when no quiet one comes within its patience', () => {
    const jb = new JitterBuffer({ minDepth: 1, drainAfterTicks: 5, quietPatienceTicks: 10 });
    jb.quietCodes = quietCodeTable(decodeTable('PCMU'));
    let seq = 0;
    for (let t = 0; t < 200; t++) {
      push(jb, seq, 0x80);
      seq++;
      if (t % 20 === 0) push(jb, seq++, 0x80); // 5 % fast, never quiet
      play(jb, 1);
    }
    expect(jb.stats.dropped).toBeGreaterThan(0);
    expect(jb.stats.droppedQuiet).toBe(0);
    expect(jb.depth).toBeLessThanOrEqual(jb.capacity);
    expect(jb.stats.resyncs).toBe(0);
  });

  it('waits for a quiet frame only within a small excess: a fast sender of a continuous tone never resyncs', () => {
    // 2 % fast, never quiet, default patience (10 s): the excess must not grow to the capacity.
    const jb = new JitterBuffer({ initialPeakMs: 0 });
    jb.quietCodes = quietCodeTable(decodeTable('PCMU'));
    let seq = 0;
    for (let t = 0; t < 3000; t++) {
      push(jb, seq++, 0x80);
      if (t % 50 === 0) push(jb, seq++, 0x80);
      play(jb, 1);
    }
    expect(jb.stats.resyncs).toBe(0);
    expect(jb.depth).toBeLessThanOrEqual(jb.targetDepth + 6);
    expect(jb.stats.dropped).toBeGreaterThan(50);
  });

  it('copies payloads exactly from any source: aligned words with a tail, unaligned offsets, unaligned views', () => {
    const jb = new JitterBuffer({ minDepth: 1, initialPeakMs: 0 });
    const backing = new Uint8Array(1024);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 7 + 3) & 0xff;
    const cases: [Uint8Array, number, number][] = [
      [backing, 16, 160], // word copy
      [backing, 20, 7], // word copy + 3 tail bytes
      [backing, 33, 160], // unaligned offset: byte copy
      [backing.subarray(1), 40, 101], // unaligned in memory (1 + 40): byte copy
      [backing.subarray(1), 3, 50], // a view whose offset lands aligned in memory (1 + 3): word copy
      [new Uint8Array(64).fill(9), 4, 33], // other memory: its own word view
      [backing, 0, 1],
      // Other arrays over the same memory (a Buffer, a view): each one's own byteOffset is used.
      [Buffer.from(backing.buffer, 4, 512), 12, 160],
      [backing.subarray(2), 2, 160],
      [Buffer.from(backing.buffer, 6, 512), 12, 160], // unaligned in memory (6 + 12): byte copy
    ];
    cases.forEach(([src, off, len], k) => {
      expect(jb.push(1, 100 + k, src, off, len)).toBe(PushResult.Accepted);
      expect(jb.pop()).toBe(PopResult.Frame);
      expect(jb.frameLength).toBe(len);
      expect([...jb.frame.subarray(jb.frameOffset, jb.frameOffset + len)]).toEqual([
        ...src.subarray(off, off + len),
      ]);
    });
  });
});
