import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from 'telegram';
import { LinkFairShare } from './linkFairShare.js';
import type { TelegramRecorder } from './telegramRecorder.js';

/**
 * A link to Telegram as a phone has one, for the recorded gramjs client ({@link TelegramRecorder}):
 * one uplink of a fixed bandwidth that every request's bytes go through in the order the requests
 * were made (parallel requests share it, as they share one TCP connection), and each answer a
 * round trip after the request's last byte left. Answers are small and the downlink is not
 * modelled. The recorder answers as Telegram does and enforces its rules (part sizes, whole
 * uploads, album sizes: see its comments, each with the core.telegram.org page it follows); this
 * only decides when.
 *
 * The floor of an archive over such a link ({@link linkFloor}) is its bytes over the bandwidth,
 * plus the round trips that must wait for an earlier answer.
 */

/** The link's two numbers. */
export interface LinkConfig {
  /** Milliseconds from a request's last byte leaving to its answer arriving. */
  readonly roundTripMs: number;
  /** Bytes per second of the uplink, shared by every request. */
  readonly bytesPerSecond: number;
  /**
   * The connection each request goes over, for a what-if of several connections to the data
   * center sharing the uplink fairly ({@link LinkFairShare}) instead of one connection's order.
   * Default: one connection, every request in order.
   */
  readonly connectionOf?: ((request: Api.AnyRequest) => number) | undefined;
}

/** What a link carried, for a benchmark's table or a spec's counts. */
export interface LinkStats {
  /** Requests carried. */
  readonly requests: number;
  /** Bytes of their TL bodies. */
  readonly bytes: number;
  /** Milliseconds from the first request to the last answer. */
  readonly wallMs: number;
  /** Requests in flight on average over {@link wallMs} (time-weighted). */
  readonly meanInFlight: number;
  /** Requests in flight at most. */
  readonly maxInFlight: number;
  /** Requests in flight at most, by method (`upload.SaveFilePart`, `messages.UploadMedia`…). */
  readonly maxInFlightBy: Readonly<Record<string, number>>;
}

/** See the file's comment. */
export class LinkModel {
  /** When the uplink is free again (performance.now() milliseconds). */
  private uplinkFreeAt = 0;
  private inFlight = 0;
  private readonly inFlightBy = new Map<string, number>();
  private readonly mostBy = new Map<string, number>();
  private most = 0;
  private count = 0;
  private sent = 0;
  private first: number | undefined;
  private last = 0;
  /** The integral of requests in flight over time, and when it was last brought up to date. */
  private area = 0;
  private since = 0;

  private readonly fairShare: LinkFairShare | undefined;
  /**
   * The last answer due on each connection: a connection is one ordered byte stream, so an answer
   * never overtakes one to a request sent before it on the same connection, even where two are due
   * within the timers' millisecond.
   */
  private readonly lastAnswer = new Map<number, Promise<void>>();

  constructor(readonly config: LinkConfig) {
    this.fairShare = config.connectionOf ? new LinkFairShare(config.bytesPerSecond) : undefined;
  }

  /** Requests in flight now, of one method or of all. */
  inFlightNow(method?: string): number {
    return method === undefined ? this.inFlight : (this.inFlightBy.get(method) ?? 0);
  }

  /**
   * Carries one request: resolves when its answer would arrive, after its bytes have queued behind
   * those already on the uplink, gone at the link's bandwidth, and a round trip has passed.
   */
  async carry(request: Api.AnyRequest): Promise<void> {
    const { roundTripMs, bytesPerSecond } = this.config;
    const bytes = request.getBytes().length;
    const now = performance.now();
    this.first ??= now;
    this.count++;
    this.sent += bytes;
    this.change(request.className, +1);
    try {
      const connection = this.fairShare && this.config.connectionOf ? this.config.connectionOf(request) : 0;
      const before = this.lastAnswer.get(connection);
      const answered = (async () => {
        let leftAt: number;
        if (this.fairShare) leftAt = await this.fairShare.send(connection, bytes);
        else leftAt = this.uplinkFreeAt = Math.max(now, this.uplinkFreeAt) + (bytes / bytesPerSecond) * 1000;
        await sleep(Math.max(0, leftAt + roundTripMs - performance.now()));
        await before;
      })();
      this.lastAnswer.set(connection, answered);
      await answered;
    } finally {
      this.change(request.className, -1);
    }
  }

  /** What it carried so far. */
  stats(): LinkStats {
    const wallMs = this.first === undefined ? 0 : this.last - this.first;
    return {
      requests: this.count,
      bytes: this.sent,
      wallMs,
      meanInFlight: wallMs > 0 ? this.area / wallMs : 0,
      maxInFlight: this.most,
      maxInFlightBy: Object.fromEntries(this.mostBy),
    };
  }

  private change(method: string, by: 1 | -1): void {
    const now = performance.now();
    if (this.first !== undefined) this.area += this.inFlight * (now - Math.max(this.since, this.first));
    this.since = now;
    this.last = now;
    this.inFlight += by;
    this.most = Math.max(this.most, this.inFlight);
    const of = (this.inFlightBy.get(method) ?? 0) + by;
    this.inFlightBy.set(method, of);
    this.mostBy.set(method, Math.max(this.mostBy.get(method) ?? 0, of));
  }
}

/**
 * Puts a recorder's client behind a link: every request it gets waits as {@link LinkModel.carry}
 * says before the recorder answers it (any `onRequest` the recorder had runs first).
 *
 * @return The link, to read its stats.
 */
export function overLink(recorder: TelegramRecorder, config: LinkConfig): LinkModel {
  const link = new LinkModel(config);
  const before = recorder.onRequest;
  recorder.onRequest = async (request) => {
    await before?.(request);
    await link.carry(request);
  };
  return link;
}

/** What {@link linkFloor} needs of an archive. */
export interface FloorInput {
  /** Bytes uploaded: the files' sizes. */
  readonly bytes: number;
  /** Albums sent. */
  readonly albums: number;
}

/**
 * The least time an archive can take over a link, in milliseconds, as issue 14 counts it: its
 * bytes over the bandwidth, plus one round trip per album for its send (which must follow its
 * uploads, and the album before it, to keep albums in order) and two for the last album's last
 * part and `messages.uploadMedia`, which nothing can overlap.
 */
export function linkFloor(input: FloorInput, config: LinkConfig): number {
  return (input.bytes / config.bytesPerSecond) * 1000 + (input.albums + 2) * config.roundTripMs;
}

/**
 * A tighter bound than {@link linkFloor}, in milliseconds: the bytes over the bandwidth and the
 * three round trips after the last byte (its part's answer, `messages.uploadMedia`, the send),
 * for a run whose sends all overlap uploads, as they can once the album next in line uploads
 * while one is sent.
 */
export function linkBound(input: FloorInput, config: LinkConfig): number {
  return (input.bytes / config.bytesPerSecond) * 1000 + 3 * config.roundTripMs;
}
