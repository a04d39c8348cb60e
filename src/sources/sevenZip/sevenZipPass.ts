import type { ReadFailReason } from '../../reasons.js';
import type { SevenZipItem } from './sevenZipListing.js';
import type { SevenZipRun } from './sevenZipRun.js';

/** 7-Zip's closing counts (`Sub items Errors: 1`), which name no failure of their own. */
const summary = /^(?:sub items errors|archives with errors|errors|warnings|can't open as archive)\s*:/i;

/** Where a wanted item stands once the pass has moved on to it or past it. */
export type SeekResult = 'found' | 'missed' | 'ended';

/** Why 7-Zip failed an item, from its `ERROR:` line. */
export function failReasonOf(message: string): ReadFailReason {
  if (/wrong password/i.test(message)) return 'wrong-password';
  if (/CRC Failed/i.test(message)) return 'crc-mismatch';
  if (/unexpected end|missing volume|truncated/i.test(message)) return 'truncated';
  if (/data error|headers error/i.test(message)) return 'corrupt';
  return 'unreadable';
}

/** A failure 7-Zip reported for an item, already worded. */
export interface ItemFailure {
  readonly reason: ReadFailReason;
  readonly detail: string;
}

/**
 * One `x -so` pass of 7-Zip, split back into its items. 7-Zip writes every extracted file to
 * stdout one after the other, and with `-bb3` it prints `- name` to stderr as it starts each item
 * (folders and empty files too; `. name` for one it decodes only to skip it), then any `ERROR: … : name` once the item's bytes are out; both
 * arrive in one ordered stream of events, so each chunk and each error belongs to the item whose
 * line came last. That holds even when an item ends early (a data error), where splitting by the
 * listing's sizes would lose its place.
 */
export class SevenZipPass {
  /** Position in `order` of the item 7-Zip is on; -1 before its first. */
  private cursor = -1;
  private readonly failures = new Map<number, string[]>();
  private exit: { code: number; error?: string } | undefined;
  /** The last error lines that belong to no item, for the message of a pass that breaks. */
  private readonly general: string[] = [];

  /**
   * @param run The run of 7-Zip.
   * @param order The items 7-Zip will go through, in its order: every item, or only those selected.
   */
  constructor(
    private readonly run: SevenZipRun,
    private readonly order: readonly SevenZipItem[],
  ) {}

  /** Whether 7-Zip is on an item outside `order`, one it decodes but skips (a `.` line). */
  private aside = false;

  /** The item 7-Zip is on, if it is one of `order`. */
  private get current(): SevenZipItem | undefined {
    return this.aside ? undefined : this.order[this.cursor];
  }

  /**
   * Takes the next event of the run and follows it; returns the chunk it was, if any.
   *
   * @param lend Take a chunk lent (see {@link SevenZipRun.next}): valid until the next step.
   */
  private async step(lend: boolean): Promise<Uint8Array | undefined> {
    const { value: event } = await this.run.next(lend);
    if (event.type === 'data') return event.bytes;
    if (event.type === 'exit') {
      this.exit = event;
      return undefined;
    }
    const marker = /^([-T.H]) (.*)$/.exec(event.text);
    if (marker) {
      // `.` is an item 7-Zip decodes without extracting it (in a solid block, before a wanted one).
      this.aside = marker[1] === '.';
      if (this.aside) return undefined;
      const name = marker[2]!.replace(/\/$/, '');
      const at = this.order.findIndex((item, position) => position > this.cursor && item.name === name);
      this.cursor = at < 0 ? this.cursor + 1 : at;
      return undefined;
    }
    if (/^ERROR/i.test(event.text)) {
      const item = this.current;
      if (item) this.failures.set(item.index, [...(this.failures.get(item.index) ?? []), event.text]);
      else this.general.push(event.text);
    } else if (/error|unexpected|missing|cannot|can not/i.test(event.text) && !summary.test(event.text)) {
      this.general.push(event.text);
    }
    return undefined;
  }

  /** Whether 7-Zip has ended. */
  get ended(): boolean {
    return this.exit !== undefined;
  }

  /** What 7-Zip said last about a failure that belongs to no item, or its exit. */
  get lastWords(): string {
    const words = this.general.slice(-3).join('; ');
    if (words) return words;
    return this.exit?.error ?? `7-Zip ended with code ${this.exit?.code ?? '?'}`;
  }

  /**
   * Moves 7-Zip on to `item`, dropping the bytes of the items before it (those the run does not
   * want, and what is left of the one before).
   *
   * @return `found` once 7-Zip starts it; `missed` if it went past it; `ended` if 7-Zip ended first.
   */
  async seek(item: SevenZipItem): Promise<SeekResult> {
    for (;;) {
      const current = this.current;
      if (current && current.index === item.index) return 'found';
      if (current && current.index > item.index) return 'missed';
      if (this.exit) return 'ended';
      // The bytes passed over are dropped: lent, they cost no copy.
      await this.step(true);
    }
  }

  /**
   * The bytes of `item`, which must be the one 7-Zip is on ({@link seek}), until 7-Zip starts the
   * next or ends; then the failure it reported for it, if any, is thrown by the caller's check.
   *
   * @param lend Yield views of 7-Zip's output ring, each valid only until the next is asked for
   * (`reuseChunks` of `Entry.open`), instead of copies.
   */
  async *bytes(item: SevenZipItem, lend = false): AsyncGenerator<Uint8Array> {
    while (this.current?.index === item.index && !this.exit) {
      const chunk = await this.step(lend);
      if (chunk && this.current?.index === item.index) yield chunk;
    }
  }

  /** What 7-Zip reported against `item`, once its bytes are out. */
  failureOf(item: SevenZipItem): ItemFailure | undefined {
    const lines = this.failures.get(item.index);
    if (lines) {
      const detail = lines.map((line) => line.replace(/^ERROR:\s*/i, '')).join('; ');
      return { reason: failReasonOf(detail), detail: `7-Zip: ${detail}` };
    }
    // Bytes cut by the end of the pass: the archive ended inside the item.
    if (this.exit && this.exit.code !== 0 && this.general.length > 0 && this.current?.index === item.index) return { reason: failReasonOf(this.lastWords), detail: `7-Zip: ${this.lastWords}` };
    return undefined;
  }

  /** Stops 7-Zip. */
  stop(): Promise<void> {
    return this.run.stop();
  }
}
