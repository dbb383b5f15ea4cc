/**
 * Receiver-side RTP statistics of one source: extended sequence numbers, loss and interarrival
 * jitter, per RFC 3550 Appendix A.1, A.3 and A.8. Allocation-free; one instance per leg.
 */

const RTP_SEQ_MOD = 1 << 16;
// RFC 3550 §A.1: "MAX_DROPOUT = 3000, MAX_MISORDER = 100".
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export class RtpReceiveStats {
  ssrc = -1;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit = 0;
  private haveTransit = false;
  /** Interarrival jitter in timestamp units, as a float (RFC 3550 §A.8 keeps it scaled by 16). */
  private jitterTs = 0;
  /** Loss accumulated from earlier SSRCs of this leg. */
  private lostBefore = 0;
  ssrcChanges = 0;

  constructor(private readonly clockRate = 8000) {}

  /**
   * Accounts one valid packet. Returns false when the packet is a sequence jump not yet confirmed
   * (RFC 3550 §A.1: "the next packet ... is accepted only if it is the one after the first one").
   * `arrivalMs` is the local receive time.
   */
  update(ssrc: number, seq: number, timestamp: number, arrivalMs: number): boolean {
    if (ssrc !== this.ssrc) {
      if (this.ssrc !== -1) {
        this.lostBefore += this.cumulativeLostCurrent();
        this.ssrcChanges++;
      }
      this.ssrc = ssrc;
      this.initSeq(seq);
      this.received = 0;
      this.expectedPrior = 0;
      this.receivedPrior = 0;
      this.haveTransit = false;
      this.jitterTs = 0;
    }
    const udelta = (seq - this.maxSeq) & (RTP_SEQ_MOD - 1);
    if (udelta < MAX_DROPOUT) {
      // "in order, with permissible gap"
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // "the sequence number made a very large jump"
      if (seq === this.badSeq) {
        // "Two sequential packets -- assume that the other side restarted without telling us"
        this.lostBefore += this.cumulativeLostCurrent();
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    }
    // else: "duplicate or reordered packet" — counted, no change to max.
    this.received++;
    // RFC 3550 §A.8: transit = arrival - r->ts; d = transit - s->transit; s->jitter += (1./16.) * ((double)d - s->jitter);
    const arrivalTs = Math.floor((arrivalMs * this.clockRate) / 1000);
    const transit = (arrivalTs - timestamp) | 0;
    if (this.haveTransit) {
      let d = (transit - this.transit) | 0;
      if (d < 0) d = -d;
      this.jitterTs += (d - this.jitterTs) / 16;
    }
    this.transit = transit;
    this.haveTransit = true;
    return true;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }

  get extendedHighestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  private cumulativeLostCurrent(): number {
    if (this.ssrc === -1) return 0;
    // RFC 3550 §A.3: expected = extended_max - base_seq + 1; lost = expected - received.
    const expected = this.extendedHighestSeq - this.baseSeq + 1;
    return expected - this.received;
  }

  /** Packets lost over the leg's life (may be negative with duplicates, as RFC 3550 allows). */
  get cumulativeLost(): number {
    return this.lostBefore + this.cumulativeLostCurrent();
  }

  /** Jitter in timestamp units (what an RTCP report block carries). */
  get jitter(): number {
    return Math.floor(this.jitterTs);
  }

  get jitterMs(): number {
    return (this.jitterTs * 1000) / this.clockRate;
  }

  /**
   * RFC 3550 §A.3: the fraction lost since the previous call, as the 8-bit fixed-point number of a
   * report block. Call once per RTCP report.
   */
  takeFractionLost(): number {
    const expected = this.extendedHighestSeq - this.baseSeq + 1;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    if (expectedInterval === 0 || lostInterval <= 0) return 0;
    return Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
  }
}
