/**
 * An uplink shared fairly between connections, as a router's fair queueing (fq_codel, the Linux
 * default) shares a bottleneck between flows: each connection's bytes go in the order they were
 * written, and at any moment every connection with bytes waiting gets an equal share of the
 * bandwidth. A fluid model: the shares are exact, not packet by packet.
 */
export class LinkFairShare {
  /** Bytes still to go, by connection, each with the resolve of the request they end. */
  private readonly queues = new Map<number, { left: number; done: (leftAt: number) => void }[]>();
  /** Up to when (performance.now() milliseconds) the queues are brought up to date. */
  private clock = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly bytesPerSecond: number) {}

  /** Resolves with the time its last byte leaves, after the bytes written before it on the same connection. */
  send(connection: number, bytes: number): Promise<number> {
    this.advance(performance.now());
    return new Promise((done) => {
      const queue = this.queues.get(connection) ?? [];
      queue.push({ left: bytes, done });
      this.queues.set(connection, queue);
      this.schedule();
    });
  }

  /** Moves the clock to `now`, sending every active connection's share and ending the requests whose last byte left. */
  private advance(now: number): void {
    for (;;) {
      const active = [...this.queues.values()].filter((queue) => queue.length > 0);
      if (active.length === 0) {
        this.clock = now;
        return;
      }
      const perMs = this.bytesPerSecond / 1000 / active.length;
      const least = Math.min(...active.map((queue) => queue[0]!.left));
      const until = this.clock + least / perMs;
      const sent = (Math.min(until, now) - this.clock) * perMs;
      this.clock = Math.min(until, now);
      for (const queue of active) queue[0]!.left -= sent;
      if (until > now) return;
      for (const queue of active) {
        while (queue.length > 0 && queue[0]!.left <= 1e-6) queue.shift()!.done(this.clock);
      }
    }
  }

  /** Wakes up when the next request's last byte leaves. */
  private schedule(): void {
    clearTimeout(this.timer);
    const active = [...this.queues.values()].filter((queue) => queue.length > 0);
    if (active.length === 0) return;
    const perMs = this.bytesPerSecond / 1000 / active.length;
    const least = Math.min(...active.map((queue) => queue[0]!.left));
    this.timer = setTimeout(() => {
      this.advance(performance.now());
      this.schedule();
    }, Math.max(0, this.clock + least / perMs - performance.now()));
  }
}
