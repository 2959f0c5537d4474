/**
 * The RTP port pool of a SIP network: the even ports of the `media.ports` range (RFC 3550: RTP even, RTCP the
 * odd one above, both in the range), one per live leg, handed out round-robin and returned when the leg ends.
 * When every port is in use, `allocate` throws `RtpPortsExhausted` (the leg that wanted one fails; nothing else
 * changes).
 */

export class RtpPortsExhausted extends Error {
  constructor(low: number, high: number, inUse: number) {
    super(`No free RTP port: all ${inUse} even ports of media.ports [${low}, ${high}] are in use`);
    this.name = 'RtpPortsExhausted';
  }
}

export class RtpPortPool {
  private readonly first: number;
  private readonly count: number;
  private readonly inUse = new Set<number>();
  private next = 0;

  constructor(
    private readonly low: number,
    private readonly high: number,
  ) {
    this.first = low + (low % 2);
    // Each RTP port's RTCP neighbour (port + 1) is in the range too.
    this.count = high > this.first ? Math.floor((high - 1 - this.first) / 2) + 1 : 0;
  }

  /** Ports handed out and not yet released. */
  get used(): number {
    return this.inUse.size;
  }

  /** How many ports the range holds. */
  get size(): number {
    return this.count;
  }

  allocate(): number {
    for (let tried = 0; tried < this.count; tried++) {
      const port = this.first + 2 * ((this.next + tried) % this.count);
      if (this.inUse.has(port)) continue;
      this.next = (this.next + tried + 1) % this.count;
      this.inUse.add(port);
      return port;
    }
    throw new RtpPortsExhausted(this.low, this.high, this.inUse.size);
  }

  /** Returns a port (no effect for one not handed out). */
  release(port: number): void {
    this.inUse.delete(port);
  }
}
