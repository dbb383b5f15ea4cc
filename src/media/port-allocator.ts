/**
 * Binds RTP/RTCP socket pairs in a worker's port sub-range: RTP on an even port, RTCP on the next
 * odd one (RFC 3550 §11: "RTP SHOULD use an even destination port number and the corresponding
 * RTCP stream SHOULD use the next higher (odd) destination port number"). Ports taken by other
 * processes are skipped; the cursor rotates so a just-freed port is not reused at once.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mediaError } from './media-errors.js';

/** IP literals need no DNS: answer synchronously (saves a tick per send). */
function literalLookup(
  address: string,
  _opts: unknown,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  cb(null, address, 4);
}

function bind(host: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', lookup: literalLookup as never });
    const onError = () => {
      s.close();
      resolve(undefined);
    };
    s.once('error', onError);
    s.bind({ address: host, port, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

export class PortAllocator {
  private readonly first: number;
  private readonly pairs: number;
  private cursor = 0;
  private readonly used = new Set<number>();

  constructor(
    private readonly host: string,
    range: [number, number],
  ) {
    this.first = range[0] % 2 === 0 ? range[0] : range[0] + 1;
    this.pairs = Math.max(0, Math.floor((range[1] - this.first + 1) / 2));
  }

  get inUse(): number {
    return this.used.size;
  }

  async allocate(): Promise<{ port: number; rtp: Socket; rtcp: Socket }> {
    for (let tried = 0; tried < this.pairs; tried++) {
      const port = this.first + 2 * this.cursor;
      this.cursor = (this.cursor + 1) % this.pairs;
      if (this.used.has(port)) continue;
      const rtp = await bind(this.host, port);
      if (!rtp) continue;
      const rtcp = await bind(this.host, port + 1);
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
