import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

/** A loopback port held so that connecting to it hangs; see {@link holdUnreachable}. */
export interface UnreachablePort {
  /** Frees the port (the connections trying it then get a reset or, once it listens again, through). */
  readonly release: () => Promise<void>;
}

/**
 * A child process listens on the port and never accepts (its event loop is blocked: Node accepts
 * on its own otherwise), with a backlog of one; two connections of ours fill the queue, and the
 * kernel drops every SYN after them. It leaves by itself within a second of its parent's death.
 */
const holder = `
const net = require('node:net');
const parent = Number(process.argv[2]);
net.createServer().listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write('listening\\n');
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (process.ppid === parent) Atomics.wait(cell, 0, 0, 1000);
  process.exit(0);
});`;

/**
 * Holds a loopback port so that connections to it are never answered, as when the network drops
 * everything: `connect()` hangs until the kernel gives up (about 2 minutes on Linux), not a reset.
 * The port must be free.
 */
export async function holdUnreachable(port: number): Promise<UnreachablePort> {
  const child = spawn(process.execPath, ['-e', holder, String(port), String(process.pid)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((done, fail) => {
    child.stdout.once('data', () => done());
    child.once('exit', (code) => fail(new Error(`the process holding port ${port} exited with ${code}`)));
  });
  child.stdout.destroy();
  child.unref();
  const fill: Socket[] = [];
  // The queue holds backlog + 1 connections; the first that does not complete shows it full.
  for (let connected = true; connected && fill.length < 8; ) {
    const socket = connect(port, '127.0.0.1').on('error', () => undefined);
    fill.push(socket);
    connected = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 100);
      socket.once('connect', () => {
        clearTimeout(timer);
        done(true);
      });
    });
  }
  return {
    release: async () => {
      for (const socket of fill) socket.destroy();
      child.kill('SIGKILL');
      await exited;
    },
  };
}
