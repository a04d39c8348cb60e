import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ServedRequest } from './fileServer.js';

/** What the bench asks of the server process. */
export type ServerOrder = { readonly kind: 'configure'; readonly ranges: boolean } | { readonly kind: 'reset' };

/** What the requests since the last reset cost the server. */
export interface Served {
  readonly requests: readonly ServedRequest[];
  /** TCP connections accepted. */
  readonly connections: number;
  /** The server process's user + system CPU time, in seconds. */
  readonly cpuSeconds: number;
  /** The server process's peak RSS so far (`ru_maxrss`), in bytes. */
  readonly maxRssBytes: number;
}

/** What the server process tells. */
export type ServerMessage =
  | { readonly kind: 'listening'; readonly port: number }
  | { readonly kind: 'configured' }
  | ({ readonly kind: 'served' } & Served);

/** The file server, running in a process of its own. */
export interface FileServerProcess {
  /** `http://127.0.0.1:<port>/<name>` */
  url(name: string): string;
  /** Answer ranges or not, from the next request on. */
  configure(ranges: boolean): Promise<void>;
  /** What the requests since the last reset cost, and forgets them. */
  reset(): Promise<Served>;
  /** Stops the process. */
  close(): Promise<void>;
}

const child = fileURLToPath(new URL('./fileServerChild.js', import.meta.url));

/** The next message from the process, which must be of `kind`. */
function next<K extends ServerMessage['kind']>(server: ChildProcess, kind: K): Promise<Extract<ServerMessage, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      server.off('message', onMessage);
      server.off('exit', onExit);
    };
    const onMessage = (message: ServerMessage) => {
      stop();
      if (message.kind === kind) resolve(message as Extract<ServerMessage, { kind: K }>);
      else reject(new Error(`the file server said '${message.kind}' where the bench waited for '${kind}'`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      stop();
      reject(new Error(`the file server exited (${signal ?? code}) while the bench waited for '${kind}'`));
    };
    server.on('message', onMessage);
    server.on('exit', onExit);
  });
}

/**
 * Forks `fileServerChild.js` serving `files` on a free loopback port (see `startFileServer`), and
 * waits until it listens. Its stdout is dropped (the bench's stdout is the report); its stderr is
 * the bench's.
 *
 * @param files The files to serve, each at `/<its base name>`.
 */
export async function startFileServerProcess(files: readonly string[]): Promise<FileServerProcess> {
  const server = fork(child, [...files], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port } = await next(server, 'listening');
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    async configure(ranges) {
      const answered = next(server, 'configured');
      server.send({ kind: 'configure', ranges } satisfies ServerOrder);
      await answered;
    },
    async reset() {
      const answered = next(server, 'served');
      server.send({ kind: 'reset' } satisfies ServerOrder);
      const { kind: _, ...served } = await answered;
      return served;
    },
    async close() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = once(server, 'exit');
      server.disconnect();
      await exited;
    },
  };
}
