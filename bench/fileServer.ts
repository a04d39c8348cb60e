import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { parseRange } from '../spec/support/httpServer.js';

/** Options of {@link startFileServer}. */
export interface FileServerConfig {
  /**
   * Answer `Range` requests with 206 and `Content-Range` (`Accept-Ranges: bytes`). When false the
   * server is one that knows nothing of ranges: every GET gets the whole file with 200
   * (`Accept-Ranges: none`). Default: true.
   */
  ranges?: boolean | undefined;
}

/** One request as the server saw and answered it. */
export interface ServedRequest {
  readonly method: string;
  readonly path: string;
  /** The `Range` header, if any. */
  readonly range: string | undefined;
  /** The status answered (0 until answered). */
  status: number;
  /** Body bytes the kernel accepted (counted in each write's callback). */
  bytesSent: number;
  /** When the request arrived, and when its answer closed: milliseconds since the Unix epoch. */
  readonly startedAt: number;
  endedAt: number | undefined;
  /** Whether the client went away before the whole body was written. */
  aborted: boolean;
}

/** A running {@link startFileServer}. */
export interface FileServer {
  /** The loopback port. */
  readonly port: number;
  /** Answer ranges or not, from the next request on. */
  configure(config: FileServerConfig): void;
  /** The requests and connections since the last `reset`, and forgets them. */
  reset(): { requests: ServedRequest[]; connections: number };
  close(): Promise<void>;
}

/** Milliseconds since the Unix epoch, with the fraction: comparable across processes. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** A strong ETag from the file's size and modification time, as nginx makes it. */
const etagOf = (size: number, mtimeMs: number) => `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;

/** Whether an `If-Match` header (`*`, or a list of ETags) admits the current ETag; weak tags never match. */
function matches(header: string, etag: string): boolean {
  return header.trim() === '*' || header.split(',').some((each) => each.trim() === etag);
}

/** Resolves once the response can take more, or is gone. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/**
 * Streams bytes `first` to `last` of a file into the response, 64 KiB at a time through
 * `createReadStream` (never the whole file in memory), waiting for `drain` when the socket is full,
 * and counting what each write handed to the kernel.
 */
async function writeFileRange(response: ServerResponse, path: string, first: number, last: number, served: ServedRequest): Promise<void> {
  if (last >= first) {
    for await (const chunk of createReadStream(path, { start: first, end: last })) {
      if (response.destroyed) return;
      const length = (chunk as Buffer).length;
      const more = response.write(chunk, (error) => {
        if (!error) served.bytesSent += length;
      });
      if (!more) await drained(response);
    }
  }
  response.end();
}

/**
 * A plain static file server on a loopback port, for the HTTP benchmark: it serves each file at
 * `/<its base name>`, with a strong `ETag` and a `Last-Modified`, a `Content-Length`, and single
 * byte ranges (`bytes=a-b`, `bytes=a-`, `bytes=-n`) answered with 206 and `Content-Range`, or 416
 * past the end. It honours the conditions unspool sends: `If-Match` and `If-Unmodified-Since`
 * (412 when the file is not that version) and `If-Range` (the whole file when it is not). With
 * `ranges: false` it ignores `Range` and `If-Range`. Every request is logged with the body bytes
 * it sent and when it started and ended.
 *
 * @param files The files to serve.
 * @param config Whether to answer ranges.
 */
export async function startFileServer(files: readonly string[], config: FileServerConfig = {}): Promise<FileServer> {
  const byPath = new Map(files.map((file) => [`/${basename(file)}`, file]));
  let ranges = config.ranges ?? true;
  let requests: ServedRequest[] = [];
  let connections = 0;

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const header = (name: string) => request.headers[name] as string | undefined;
    const path = (request.url ?? '/').replace(/\?.*$/, '');
    const served: ServedRequest = {
      method: request.method ?? 'GET',
      path,
      range: header('range'),
      status: 0,
      bytesSent: 0,
      startedAt: epochMs(),
      endedAt: undefined,
      aborted: false,
    };
    requests.push(served);
    response.on('close', () => {
      served.endedAt = epochMs();
      served.aborted = !response.writableFinished;
    });
    const reply = (status: number, headers: Record<string, string | number>) => {
      served.status = status;
      response.writeHead(status, headers);
    };
    const file = byPath.get(path);
    if (!file || (served.method !== 'GET' && served.method !== 'HEAD')) {
      reply(file ? 405 : 404, { 'content-length': 0 });
      response.end();
      return;
    }
    const { size, mtimeMs } = await stat(file);
    const etag = etagOf(size, mtimeMs);
    const lastModified = new Date(mtimeMs).toUTCString();
    const common = { etag, 'last-modified': lastModified, 'accept-ranges': ranges ? 'bytes' : 'none', 'content-type': 'application/octet-stream' };
    const ifMatch = header('if-match');
    const ifUnmodifiedSince = header('if-unmodified-since');
    const changed =
      ifMatch !== undefined ? !matches(ifMatch, etag) : ifUnmodifiedSince !== undefined && Math.floor(mtimeMs / 1000) * 1000 > Date.parse(ifUnmodifiedSince);
    if (changed) {
      reply(412, { ...common, 'content-length': 0 });
      response.end();
      return;
    }
    const ifRange = header('if-range');
    const rangeApplies = ranges && served.range !== undefined && (ifRange === undefined || ifRange === etag || ifRange === lastModified);
    const range = rangeApplies ? parseRange(served.range!, size) : undefined;
    if (range && (range.first >= size || range.first > range.last)) {
      reply(416, { ...common, 'content-range': `bytes */${size}`, 'content-length': 0 });
      response.end();
      return;
    }
    const [first, last] = range ? [range.first, range.last] : [0, size - 1];
    const length = last - first + 1;
    if (range) reply(206, { ...common, 'content-range': `bytes ${first}-${last}/${size}`, 'content-length': length });
    else reply(200, { ...common, 'content-length': size });
    if (served.method === 'HEAD') {
      response.end();
      return;
    }
    await writeFileRange(response, file, first, last, served);
  }

  const server: Server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    configure(next) {
      ranges = next.ranges ?? true;
    },
    reset() {
      const found = { requests, connections };
      requests = [];
      connections = 0;
      return found;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
