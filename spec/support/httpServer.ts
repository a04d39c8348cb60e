import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real loopback HTTP server for the remote-source specs: it serves files with or without byte
 * ranges, honours (or ignores) conditional requests, follows a script of faults (error answers,
 * connections cut part way), and logs every request with the bytes it sent.
 */

/** One request as the server saw and answered it. */
export interface LoggedRequest {
  readonly method: string;
  /** The path with its query string, as asked. */
  readonly url: string;
  /** The path without query string. */
  readonly path: string;
  readonly range: string | undefined;
  readonly ifMatch: string | undefined;
  readonly ifRange: string | undefined;
  /** The status answered (0 until answered). */
  status: number;
  /** Body bytes written to the socket. */
  bytesSent: number;
  /** Whether the connection closed before the whole answer was sent (the client let go, or a fault cut it). */
  closedEarly: boolean;
}

/** Something to do instead of answering normally. */
export type Fault =
  /** Answer with this status (and headers), no body. */
  | { readonly status: number; readonly headers?: Record<string, string> }
  /** Answer normally, but cut the connection after this many body bytes. */
  | { readonly dropAfter: number }
  /** Redirect (302) to this address instead. */
  | { readonly redirect: string };

/** What a {@link HttpServer.route} handler answers: a status, headers, and a body. */
export interface RouteAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Answers the requests for one path in code (an API endpoint): gets the parsed URL and the headers. */
export type RouteHandler = (url: URL, headers: IncomingMessage['headers']) => RouteAnswer;

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Answer `Range` requests with 206. Default: true. When false, every GET gets the whole file. */
  readonly ranges?: boolean;
  /** Ignore `If-Match`, `If-Unmodified-Since` and `If-Range` (a careless server). Default: false. */
  readonly ignoreConditionals?: boolean;
  /** Leave `Content-Length` out of whole-file answers (chunked encoding). Default: false. */
  readonly chunked?: boolean;
}

/** A running server. */
export interface HttpServer {
  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string;
  /** Every request so far, in order. */
  readonly log: LoggedRequest[];
  /**
   * Serves `bytes` at `path` (a query string is ignored). Serving a path again is a new version of
   * the file: a new ETag and a later Last-Modified.
   */
  serve(path: string, bytes: Uint8Array): void;
  /** Answers `from` with a redirect to `to` (absolute or relative). */
  redirect(from: string, to: string, status?: number): void;
  /** Plays `fault` on the next `times` requests for which `when` is true (default: any). */
  fault(fault: Fault, when?: (request: LoggedRequest) => boolean, times?: number): void;
  /** Calls `hook` with each request before it is answered (to change a file part way, …). */
  onRequest(hook: (request: LoggedRequest) => void): void;
  /** Answers every request for `path` (a query string is ignored in matching) with `handler`, after faults. */
  route(path: string, handler: RouteHandler): void;
  /** Body bytes sent over all requests. */
  bytesSent(): number;
  close(): Promise<void>;
}

interface Served {
  readonly bytes: Buffer;
  readonly etag: string;
  readonly lastModified: string;
}

/** Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against a size; `undefined` for other forms. */
export function parseRange(header: string, size: number): { first: number; last: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return { first: Math.max(0, size - Number(match[2])), last: size - 1 };
  return { first: Number(match[1]), last: match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1) };
}

const chunkSize = 64 * 1024;

/** Writes `bytes`, waiting for each chunk to reach the socket, counting what was written. */
async function writeBody(response: ServerResponse, bytes: Buffer, logged: LoggedRequest, cutAfter?: number): Promise<void> {
  const stop = Math.min(bytes.length, cutAfter ?? Infinity);
  for (let at = 0; at < stop && !response.destroyed; ) {
    const piece = bytes.subarray(at, Math.min(stop, at + chunkSize));
    const written = await new Promise<boolean>((resolve) => response.write(piece, (error) => resolve(!error)));
    if (!written) return;
    logged.bytesSent += piece.length;
    at += piece.length;
  }
  if (cutAfter !== undefined && cutAfter < bytes.length) {
    response.socket?.destroy();
    return;
  }
  response.end();
}

/** Starts a server on a free loopback port. */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<HttpServer> {
  const files = new Map<string, Served>();
  const redirects = new Map<string, { to: string; status: number }>();
  const faults: { fault: Fault; when: (request: LoggedRequest) => boolean; left: number }[] = [];
  const hooks: ((request: LoggedRequest) => void)[] = [];
  const routes = new Map<string, RouteHandler>();
  const log: LoggedRequest[] = [];
  let version = 0;

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const header = (name: string) => (request.headers[name] as string | undefined) ?? undefined;
    const logged: LoggedRequest = {
      method: request.method ?? 'GET',
      url,
      path: url.replace(/\?.*$/, ''),
      range: header('range'),
      ifMatch: header('if-match'),
      ifRange: header('if-range'),
      status: 0,
      bytesSent: 0,
      closedEarly: false,
    };
    log.push(logged);
    response.once('close', () => {
      logged.closedEarly = !response.writableFinished;
    });
    for (const hook of hooks) hook(logged);
    const reply = (status: number, headers: Record<string, string | number> = {}) => {
      logged.status = status;
      response.writeHead(status, headers);
    };
    const rule = faults.find((candidate) => candidate.left > 0 && candidate.when(logged));
    if (rule) rule.left--;
    if (rule && 'status' in rule.fault) {
      reply(rule.fault.status, rule.fault.headers);
      response.end();
      return;
    }
    if (rule && 'redirect' in rule.fault) {
      reply(302, { location: rule.fault.redirect });
      response.end();
      return;
    }
    const route = routes.get(logged.path);
    if (route) {
      const routed = route(new URL(url, 'http://127.0.0.1'), request.headers);
      reply(routed.status, routed.headers);
      response.end(routed.body);
      return;
    }
    const cutAfter = rule && 'dropAfter' in rule.fault ? rule.fault.dropAfter : undefined;
    const redirect = redirects.get(logged.path);
    if (redirect) {
      reply(redirect.status, { location: redirect.to });
      response.end();
      return;
    }
    const file = files.get(logged.path);
    if (!file) {
      reply(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    const size = file.bytes.length;
    const validators = { etag: file.etag, 'last-modified': file.lastModified };
    if (request.method === 'HEAD') {
      // A lying HEAD: it says the opposite of the truth about ranges, and a wrong length.
      reply(200, { ...validators, 'accept-ranges': options.ranges === false ? 'bytes' : 'none', 'content-length': 1 });
      response.end();
      return;
    }
    if (!options.ignoreConditionals) {
      const unmodifiedSince = header('if-unmodified-since');
      const failsMatch = logged.ifMatch !== undefined && logged.ifMatch !== '*' && logged.ifMatch !== file.etag;
      const failsDate = unmodifiedSince !== undefined && Date.parse(file.lastModified) > Date.parse(unmodifiedSince);
      if (failsMatch || failsDate) {
        reply(412, validators);
        response.end();
        return;
      }
    }
    const rangeAllowed =
      options.ranges !== false &&
      logged.range !== undefined &&
      (options.ignoreConditionals || logged.ifRange === undefined || logged.ifRange === file.etag || logged.ifRange === file.lastModified);
    const range = rangeAllowed ? parseRange(logged.range!, size) : undefined;
    if (range && range.first >= size) {
      reply(416, { ...validators, 'content-range': `bytes */${size}` });
      response.end();
      return;
    }
    if (range) {
      const body = file.bytes.subarray(range.first, range.last + 1);
      reply(206, { ...validators, 'accept-ranges': 'bytes', 'content-range': `bytes ${range.first}-${range.last}/${size}`, 'content-length': body.length });
      await writeBody(response, body, logged, cutAfter);
      return;
    }
    reply(200, { ...validators, ...(options.chunked ? {} : { 'content-length': size }), ...(options.ranges === false ? {} : { 'accept-ranges': 'bytes' }) });
    await writeBody(response, file.bytes, logged, cutAfter);
  }

  const server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    log,
    serve(path, bytes) {
      version += 1;
      const data = Buffer.from(bytes);
      const etag = `"${createHash('sha256').update(data).digest('hex').slice(0, 16)}-${version}"`;
      const lastModified = new Date(Date.UTC(2024, 0, 1) + version * 60_000).toUTCString();
      files.set(path, { bytes: data, etag, lastModified });
    },
    redirect(from, to, status = 302) {
      redirects.set(from, { to, status });
    },
    fault(fault, when = () => true, times = 1) {
      faults.push({ fault, when, left: times });
    },
    onRequest(hook) {
      hooks.push(hook);
    },
    route(path, handler) {
      routes.set(path, handler);
    },
    bytesSent: () => log.reduce((sum, request) => sum + request.bytesSent, 0),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
