/**
 * Binds RTP/RTCP socket pairs in a worker's port sub-range: RTP on an even port, RTCP on the next
 * odd one (RFC 3550 §11: "RTP SHOULD use an even destination port number and the corresponding
 * RTCP stream SHOULD use the next higher (odd) destination port number"). Ports taken by other
 * processes are skipped; the cursor rotates so a just-freed port is not reused at once.
 */
import type { LegSocket } from './leg-socket.js';
import { mediaError } from './media-errors.js';

/** Binds one socket on host:port for the worker's I/O path; undefined if the port is taken. */
export type BindSocket = (
  host: string,
  port: number,
) => Promise<LegSocket | undefined> | LegSocket | undefined;

export class PortAllocator {
  private readonly first: number;
  private readonly pairs: number;
  private cursor = 0;
  private readonly used = new Set<number>();

  constructor(
    private readonly host: string,
    range: [number, number],
    private readonly bind: BindSocket,
  ) {
    this.first = range[0] % 2 === 0 ? range[0] : range[0] + 1;
    this.pairs = Math.max(0, Math.floor((range[1] - this.first + 1) / 2));
  }

  get inUse(): number {
    return this.used.size;
  }

  async allocate(): Promise<{ port: number; rtp: LegSocket; rtcp: LegSocket }> {
    for (let tried = 0; tried < this.pairs; tried++) {
      const port = this.first + 2 * this.cursor;
      this.cursor = (this.cursor + 1) % this.pairs;
      if (this.used.has(port)) continue;
      const rtp = await this.bind(this.host, port);
      if (!rtp) continue;
      const rtcp = await this.bind(this.host, port + 1);
      if (!rtcp) {
        rtp.close();
        continue;
      }
      this.used.add(port);
      return { port, rtp, rtcp };
    }
    throw mediaError(
      'MEDIA_PORTS_EXHAUSTED',
      `no free port pair in ${this.first}..${this.first + 2 * this.pairs - 1}`,
    );
  }

  release(port: number): void {
    this.used.delete(port);
  }
}
