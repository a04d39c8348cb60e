import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RandomAccessSource } from '../randomAccess.js';
import { SequentialReader } from './sequentialReader.js';
import { control, controlSlots, readState, sevenZipWorkerMain, type WasmConstructors, type WorkerInput, type WorkerMessage } from './sevenZipWorker.js';

/** A volume of an archive handed to 7-Zip: its name in 7-Zip's folder, and its bytes. */
export interface SevenZipVolume {
  /** The name 7-Zip sees (it finds a set's next volume by name). */
  readonly name: string;
  readonly size: number;
  /** A local file, read by the worker itself (the fastest way). */
  readonly path?: string | undefined;
  /** Any other source, read by the main thread for the worker. */
  readonly source?: RandomAccessSource | undefined;
}

/** What one run of 7-Zip says, in order: a chunk of its stdout, a line of its stderr, its end. */
export type SevenZipEvent =
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  | { readonly type: 'line'; readonly text: string }
  | { readonly type: 'exit'; readonly code: number; readonly error?: string };

/** Options of {@link runSevenZip}. */
export interface SevenZipRunOptions {
  /** The archive, its first volume first. */
  volumes: readonly SevenZipVolume[];
  /** 7-Zip's command line; the archive is in the current folder, by its volume's name. */
  args: readonly string[];
  /** Names for a list file, passed as `@/unspool-list.txt` in `args`. Default: none. */
  list?: readonly string[] | undefined;
  /** Output bytes 7-Zip may have written ahead of the consumer: the size of the ring they go through. Default: 1 MiB. */
  inFlight?: number | undefined;
}

/** Workers started and not yet exited, over every run: what a spec checks after a stop. */
let liveWorkers = 0;

/** How many 7-Zip workers are running now (started and not yet exited). */
export function runningSevenZipWorkers(): number {
  return liveWorkers;
}

const modulePath = createRequire(import.meta.url).resolve('7z-wasm/7zz.umd.js');

let compiled: object | undefined;

/**
 * 7-Zip's WebAssembly, compiled on first use and then shared by every run: each worker
 * instantiates it without compiling it again, and the compiled code is in memory once per process
 * (about 50 ms of the main thread, once).
 */
function sevenZipModule(): object {
  const { Module } = (globalThis as unknown as { WebAssembly: WasmConstructors }).WebAssembly;
  compiled ??= new Module(readFileSync(join(dirname(modulePath), '7zz.wasm')));
  return compiled;
}

/** Bytes the main thread hands over per read of a source for the worker. */
const readBlock = 1024 * 1024;

/** Output in the ring, not yet handed to the consumer. */
interface RingSlice {
  readonly type: 'ring';
  readonly at: number;
  readonly length: number;
}

/**
 * One run of 7-Zip in a worker thread, as an async iterator of its {@link SevenZipEvent}s. Output
 * is taken from 7-Zip only as fast as `next()` is called: a chunk counts as consumed once
 * `next()` has handed it over, and 7-Zip waits while `inFlight` bytes are not. `stop()` ends
 * it in any state: the worker is terminated, which also ends a wait.
 */
export class SevenZipRun implements AsyncIterableIterator<SevenZipEvent> {
  private readonly worker: Worker;
  private readonly slots = new Int32Array(new SharedArrayBuffer(controlSlots * 4));
  private readonly data = new SharedArrayBuffer(readBlock);
  private readonly output: Uint8Array;
  private readonly events: (SevenZipEvent | RingSlice)[] = [];
  private waiting: { readonly resolve: (event: SevenZipEvent) => void; readonly lend: boolean } | undefined;
  /** Bytes of the ring lent with the last chunk, given back when the next event is asked for. */
  private lent = 0;
  private ended = false;
  private consumed = 0;
  private readonly aborting = new AbortController();
  private readonly readers: (SequentialReader | undefined)[];

  constructor(options: SevenZipRunOptions) {
    this.output = new Uint8Array(new SharedArrayBuffer(Math.max(64 * 1024, options.inFlight ?? 1024 * 1024)));
    this.readers = options.volumes.map((volume) => (volume.source ? new SequentialReader(volume.source, volume.size, this.aborting.signal) : undefined));
    const workerData: WorkerInput = {
      modulePath,
      wasm: sevenZipModule(),
      args: options.args,
      volumes: options.volumes.map(({ name, size, path }) => ({ name, size, path })),
      list: options.list?.join('\n'),
      control: this.slots.buffer as SharedArrayBuffer,
      data: this.data,
      output: this.output.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(`(${sevenZipWorkerMain.toString()})()`, { eval: true, workerData });
    liveWorkers++;
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'read') void this.serveRead(message.volume, message.position, message.length);
      else this.push(message.type === 'data' ? { type: 'ring', at: message.at, length: message.length } : message);
    });
    this.worker.on('error', (error) => this.push({ type: 'exit', code: -1, error: error.message }));
    this.worker.on('exit', () => {
      liveWorkers--;
      this.push({ type: 'exit', code: -1, error: '7-Zip stopped before its end' });
    });
  }

  /** Reads what the worker asks of a source, and wakes it. */
  private async serveRead(volume: number, position: number, length: number): Promise<void> {
    let state: number = readState.failed;
    try {
      // Straight into the shared buffer: no buffer of the read's own.
      const got = await this.readers[volume]!.readInto(new Uint8Array(this.data, 0, Math.min(length, readBlock)), position);
      Atomics.store(this.slots, control.readLength, got);
      state = readState.ready;
    } catch {
      // The worker's read fails, and 7-Zip reports the archive unreadable at that point.
    }
    Atomics.store(this.slots, control.read, state);
    Atomics.notify(this.slots, control.read);
  }

  private push(event: SevenZipEvent | RingSlice): void {
    if (this.ended) return;
    if (event.type === 'exit') this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) this.hand(event, waiting.resolve, waiting.lend);
    else this.events.push(event);
  }

  /**
   * Hands an event to the consumer. A chunk is copied out of the ring as it is handed over, and its
   * room in the ring is then 7-Zip's to write more; or, lent, it is handed as a view of the ring,
   * whose room is given back only when the next event is asked for.
   */
  private hand(event: SevenZipEvent | RingSlice, to: (event: SevenZipEvent) => void, lend: boolean): void {
    if (event.type !== 'ring') return to(event);
    const view = this.output.subarray(event.at, event.at + event.length);
    if (lend) {
      this.lent = event.length;
      return to({ type: 'data', bytes: view });
    }
    const bytes = Buffer.allocUnsafe(event.length);
    bytes.set(view);
    this.giveBack(event.length);
    to({ type: 'data', bytes });
  }

  /** Gives room in the ring back to 7-Zip, and wakes it if it waits for room. */
  private giveBack(length: number): void {
    if (length === 0) return;
    this.consumed = (this.consumed + length) | 0;
    Atomics.store(this.slots, control.consumed, this.consumed);
    Atomics.notify(this.slots, control.consumed);
  }

  /** Output bytes 7-Zip wrote and the consumer was not yet handed: at most `inFlight`. */
  get bufferedBytes(): number {
    return this.events.reduce((total, event) => total + (event.type === 'ring' ? event.length : 0), 0);
  }

  /**
   * The next event; after `exit`, `exit` again.
   *
   * @param lend Hand a chunk as a view of the ring instead of a copy: no allocation per chunk,
   * and no garbage for the collector, for a caller that is done with each chunk before it asks
   * for the next event (the view's room is 7-Zip's again from then on).
   */
  async next(lend = false): Promise<IteratorResult<SevenZipEvent>> {
    this.giveBack(this.lent);
    this.lent = 0;
    const event = await new Promise<SevenZipEvent>((resolve) => {
      const queued = this.events.shift();
      if (queued) this.hand(queued, resolve, lend);
      else if (this.ended) resolve({ type: 'exit', code: -1, error: 'stopped' });
      else this.waiting = { resolve, lend };
    });
    return { done: false, value: event };
  }

  async return(): Promise<IteratorResult<SevenZipEvent>> {
    await this.stop();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the run in any state: 7-Zip is stopped at once, and the sources' reads are aborted. */
  async stop(): Promise<void> {
    Atomics.store(this.slots, control.stop, 1);
    Atomics.notify(this.slots, control.consumed);
    Atomics.notify(this.slots, control.read);
    this.aborting.abort();
    for (const reader of this.readers) reader?.close();
    this.push({ type: 'exit', code: -1, error: 'stopped' });
    await this.worker.terminate();
  }
}

/**
 * Starts 7-Zip with `options.args` over the volumes of an archive, in a worker thread.
 *
 * @return The run: its events in order, and `stop()`.
 */
export function runSevenZip(options: SevenZipRunOptions): SevenZipRun {
  return new SevenZipRun(options);
}

/**
 * Every event of a run: its stdout as one buffer, its stderr lines, and its exit code.
 *
 * @param signal Stops 7-Zip; the result then says `stopped`.
 */
export async function collectSevenZip(options: SevenZipRunOptions, signal?: AbortSignal): Promise<{ stdout: Buffer; lines: string[]; code: number; error?: string }> {
  const run = runSevenZip(options);
  const stop = () => void run.stop();
  signal?.addEventListener('abort', stop, { once: true });
  const chunks: Uint8Array[] = [];
  const lines: string[] = [];
  for (;;) {
    const { value: event } = await run.next();
    if (event.type === 'data') chunks.push(event.bytes);
    else if (event.type === 'line') lines.push(event.text);
    else {
      signal?.removeEventListener('abort', stop);
      await run.stop();
      return { stdout: Buffer.concat(chunks), lines, code: event.code, ...(event.error !== undefined && { error: event.error }) };
    }
  }
}
