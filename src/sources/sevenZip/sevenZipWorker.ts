/**
 * What runs 7-Zip (7z-wasm) in a worker thread. `callMain` is synchronous and would freeze the
 * event loop for the whole extraction; in a worker it blocks only its own thread, and the
 * {@link sevenZipWorkerMain} below talks to the main thread through shared memory:
 *
 * - 7-Zip's stdout is a device that copies each chunk it writes into a shared ring (`output`) and
 *   posts where it put it, small writes gathered into one message (a listing comes in thousands
 *   of writes of a few bytes: 9,500 messages for 900 files); it waits (`Atomics.wait`) while the
 *   ring has no room, that is while the consumer has not taken what is in it: a slow sink stalls
 *   the decoder instead of filling memory. The worker allocates nothing per chunk (a copy per
 *   chunk piled up as garbage in an isolate that hardly ever collects); the main thread copies
 *   a chunk out of the ring when it hands it to the consumer;
 * - its stderr is posted line by line, in the same channel, so a file's `- name` line and its
 *   errors arrive in order with its bytes;
 * - the archive's volumes are files of a small in-memory file system whose reads either read a
 *   local file directly (`fs.readSync`) or ask the main thread for the bytes of any
 *   `RandomAccessSource` and wait for them.
 *
 * The function is sent to the worker as text (`new Worker(code, { eval: true })`), so that the
 * same code runs from `dist/` and from the TypeScript sources under vitest: it uses nothing from
 * its module, only `require` and `workerData`.
 */

/** Slots of the control array shared with the worker (an `Int32Array`). */
export const control = {
  /** The state of a read asked of the main thread: {@link readState}. */
  read: 0,
  /** How many bytes the main thread put in the data buffer for the read. */
  readLength: 1,
  /** Bytes of output the consumer took out of the ring so far, modulo 2^32 (the worker counts what it sent). */
  consumed: 2,
  /** Set to 1 to make the worker stop at its next wait. */
  stop: 3,
} as const;

/** Values of the `read` slot. */
export const readState = { idle: 0, asked: 1, ready: 2, failed: 3 } as const;

/** Number of `Int32` slots of the control array. */
export const controlSlots = 4;

/** A volume of the archive as the worker sees it: a name in 7-Zip's folder, a size, and a path when local. */
export interface WorkerVolume {
  readonly name: string;
  readonly size: number;
  /** A local file the worker reads itself; without it, reads are asked of the main thread. */
  readonly path?: string | undefined;
}

/** What the worker is given. */
export interface WorkerInput {
  /** The UMD build of 7z-wasm (`7zz.umd.js`), loaded with `require`. */
  readonly modulePath: string;
  /** 7-Zip's `WebAssembly.Module`, compiled once by the main thread and shared by every worker. */
  readonly wasm: object;
  /** 7-Zip's command line, the archive named relative to its folder. */
  readonly args: readonly string[];
  readonly volumes: readonly WorkerVolume[];
  /** File names written, one a line, to `/unspool-list.txt`, for `@/unspool-list.txt`. */
  readonly list?: string | undefined;
  /** The control array's buffer ({@link control}). */
  readonly control: SharedArrayBuffer;
  /** Where the main thread puts the bytes of a read. */
  readonly data: SharedArrayBuffer;
  /** The ring 7-Zip's output goes through: its size is the most output in flight. */
  readonly output: SharedArrayBuffer;
}

/** What the worker posts to the main thread. */
export type WorkerMessage =
  /** Output bytes at `at` in the ring. */
  | { readonly type: 'data'; readonly at: number; readonly length: number }
  | { readonly type: 'line'; readonly text: string }
  | { readonly type: 'read'; readonly volume: number; readonly position: number; readonly length: number }
  | { readonly type: 'exit'; readonly code: number; readonly error?: string };

/**
 * The constructors of the WebAssembly JavaScript API used here: the project's `lib` (ES2023, no
 * DOM) does not declare them.
 */
export interface WasmConstructors {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}

/** The folder of 7-Zip's file system that holds the volumes. */
export const archiveFolder = '/archive';

/**
 * The worker's body: loads 7z-wasm, lays out its file system, runs `callMain` once and posts its
 * exit code. Sent as text: see the module's comment.
 */
export function sevenZipWorkerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const input = workerData as WorkerInput;
  const port = parentPort!;
  const slots = new Int32Array(input.control);
  const shared = new Uint8Array(input.data);
  const ring = new Uint8Array(input.output);
  const [READ, READ_LENGTH, CONSUMED, STOP] = [0, 1, 2, 3];
  const [IDLE, ASKED, READY] = [0, 1, 2];
  // Chunks posted at most this large (a quarter of the ring), so that 7-Zip writes on while the consumer takes.
  const piece = Math.max(1, Math.floor(ring.length / 4));
  const stopped = () => Atomics.load(slots, STOP) !== 0;
  class Stopped extends Error {}

  // Writes are posted once this many bytes are gathered, or before the worker posts or waits for anything else.
  const batch = Math.min(64 * 1024, piece);

  /** Bytes written to the ring so far, modulo 2^32; where the next go in it; how many before it are not posted yet. */
  let sent = 0;
  let head = 0;
  let pending = 0;
  function flush(): void {
    if (pending === 0) return;
    port.postMessage({ type: 'data', at: head - pending, length: pending });
    pending = 0;
  }
  function waitForRoom(length: number): void {
    for (;;) {
      const consumed = Atomics.load(slots, CONSUMED);
      if (((sent - consumed) | 0) + length <= ring.length) return;
      flush();
      if (stopped()) throw new Stopped('stopped');
      Atomics.wait(slots, CONSUMED, consumed, 1000);
    }
  }
  function post(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) {
      const length = Math.min(bytes.length - at, piece, ring.length - head);
      waitForRoom(length);
      ring.set(bytes.subarray(at, at + length), head);
      sent = (sent + length) | 0;
      head += length;
      pending += length;
      at += length;
      // What is posted never wraps around the ring's end.
      if (head === ring.length) {
        flush();
        head = 0;
      } else if (pending >= batch) flush();
    }
  }

  const decoder = new TextDecoder();
  let line: number[] = [];
  function errorByte(code: number | null): void {
    if (code === null) return;
    // Emscripten hands over bytes as signed chars.
    const byte = code & 0xff;
    if (byte !== 10) {
      line.push(byte);
      return;
    }
    // The bytes written before the line go first: a `- name` line must follow the previous item's bytes.
    flush();
    port.postMessage({ type: 'line', text: decoder.decode(Uint8Array.from(line)).replace(/\r$/, '') });
    line = [];
  }

  // One block read ahead from the main thread, so that 7-Zip's small reads (headers) do not each
  // cross threads.
  const block: { volume: number; start: number; bytes: Uint8Array } = { volume: -1, start: 0, bytes: new Uint8Array(0) };
  function askMainThread(volume: number, position: number, length: number): Uint8Array {
    flush();
    Atomics.store(slots, READ, ASKED);
    port.postMessage({ type: 'read', volume, position, length });
    while (Atomics.load(slots, READ) === ASKED) {
      if (stopped()) throw new Stopped('stopped');
      Atomics.wait(slots, READ, ASKED, 1000);
    }
    const state = Atomics.load(slots, READ);
    const got = Atomics.load(slots, READ_LENGTH);
    Atomics.store(slots, READ, IDLE);
    if (state !== READY) throw new Error('read failed');
    // A view, not a copy: the main thread writes the buffer again only when asked, once this block is done with.
    return shared.subarray(0, got);
  }

  const descriptors = new Map<number, number>();
  function readVolume(volume: number, target: Int8Array | Uint8Array, offset: number, length: number, position: number): number {
    const { path, size } = input.volumes[volume]!;
    length = Math.max(0, Math.min(length, size - position));
    if (length === 0) return 0;
    if (path !== undefined) {
      // What 7-Zip wrote goes out while it reads on (in a solid block it may decode long before writing again).
      flush();
      let fd = descriptors.get(volume);
      if (fd === undefined) descriptors.set(volume, (fd = fs.openSync(path, 'r')));
      let done = 0;
      while (done < length) {
        const got = fs.readSync(fd, target, offset + done, length - done, position + done);
        if (got === 0) break;
        done += got;
      }
      return done;
    }
    let done = 0;
    while (done < length) {
      const at = position + done;
      if (block.volume !== volume || at < block.start || at >= block.start + block.bytes.length) {
        // A read where the last one ended asks for a full block; one elsewhere (a header, the
        // listing's seeks) for a small one, so that seeking over HTTP does not fetch megabytes.
        const sequential = block.volume === volume && at === block.start + block.bytes.length;
        const ask = Math.min(sequential ? shared.length : Math.max(64 * 1024, length - done), shared.length, size - at);
        block.volume = volume;
        block.start = at;
        block.bytes = askMainThread(volume, at, ask);
        if (block.bytes.length === 0) break;
      }
      const from = at - block.start;
      const take = Math.min(length - done, block.bytes.length - from);
      target.set(block.bytes.subarray(from, from + take), offset + done);
      done += take;
    }
    return done;
  }

  const SevenZip = require(input.modulePath) as (options: object) => Promise<import('7z-wasm').SevenZipModule>;
  void SevenZip({
    // The module the main thread compiled: its code is shared, not compiled again in each worker.
    instantiateWasm(imports: object, receive: (instance: object, module: object) => void) {
      const { Instance } = (globalThis as unknown as { WebAssembly: WasmConstructors }).WebAssembly;
      const instance = new Instance(input.wasm, imports);
      receive(instance, input.wasm);
      return instance.exports;
    },
    stdout: () => {},
    stderr: errorByte,
    quit: (_code: number, status: unknown) => {
      throw status;
    },
  }).then((sevenZip) => {
    const FS = sevenZip.FS as import('7z-wasm').FileSystem & { createNode: (...args: unknown[]) => Record<string, unknown>; streams: unknown[] };
    const WORKERFS = sevenZip.WORKERFS as unknown as { node_ops: object };

    const device = FS.makedev(64, 0);
    FS.registerDevice(device, {
      open() {},
      close() {},
      read: () => 0,
      write(_stream: unknown, buffer: Int8Array, offset: number, length: number) {
        // Emscripten's heap view is signed: the bytes are posted unsigned, as Node's buffers are.
        post(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
        return length;
      },
    });
    FS.mkdev('/unspool-out', 0o666, device);
    // 7-Zip writes its data to fd 1: it becomes the device above (the lowest free fd is taken).
    FS.close(FS.streams[1] as never);
    FS.open('/unspool-out', 'w');

    FS.mkdir('/archive');
    const folder = FS.lookupPath('/archive').node;
    input.volumes.forEach((volume, index) => {
      const node = FS.createNode(folder, volume.name, 0o100444, 0);
      const now = Date.now();
      Object.assign(node, {
        size: volume.size,
        atime: now,
        mtime: now,
        ctime: now,
        node_ops: WORKERFS.node_ops,
        stream_ops: {
          read: (stream: unknown, buffer: Int8Array, offset: number, length: number, position: number) => readVolume(index, buffer, offset, length, position),
          llseek(stream: { position: number; node: { size: number } }, offset: number, whence: number) {
            const position = offset + (whence === 1 ? stream.position : whence === 2 ? stream.node.size : 0);
            if (position < 0) throw new (FS as unknown as { ErrnoError: new (errno: number) => Error }).ErrnoError(28);
            return position;
          },
        },
      });
      (folder.contents as Record<string, unknown>)[volume.name] = node;
    });
    if (input.list !== undefined) FS.writeFile('/unspool-list.txt', input.list);
    FS.chdir('/archive');

    let code: number;
    let error: string | undefined;
    try {
      code = (sevenZip.callMain as unknown as (args: string[]) => number)([...input.args]) ?? 0;
    } catch (thrown) {
      const status = (thrown as { status?: unknown }).status;
      if (typeof status === 'number') code = status;
      else {
        code = -1;
        error = thrown instanceof Stopped ? 'stopped' : String((thrown as Error)?.message ?? thrown);
      }
    }
    if (line.length > 0) errorByte(10);
    flush();
    port.postMessage({ type: 'exit', code, ...(error !== undefined && { error }) });
  }, (failure: unknown) => {
    port.postMessage({ type: 'exit', code: -1, error: `7-Zip could not start: ${String((failure as Error)?.message ?? failure)}` });
  });
}
