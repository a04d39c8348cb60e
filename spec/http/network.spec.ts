import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/summary.js';
import { killLeftovers, startCli } from '../resume/cliProcess.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { jpegBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

/**
 * The network between unspool and an archive's server, as a TCP relay on loopback that can go
 * away (its port closed, every connection cut) and come back on the same port: what a phone that
 * loses its signal sees, where the server answers nothing at all.
 */
class Relay {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  private constructor(readonly port: number, private readonly target: number) {}

  static async start(target: number): Promise<Relay> {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const relay = new Relay(port, target);
    await relay.up();
    return relay;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((done) => server.listen(this.port, '127.0.0.1', done));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((done) => server.close(() => done()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

const photos = Array.from({ length: 12 }, (_, i) => ({ name: `p${String(i).padStart(2, '0')}.jpg`, data: jpegBytes(30_000 + i, `http-network-${i}`) }));

describe('unspool send <http address> when the network goes away', () => {
  let workspace: Workspace;
  let server: HttpServer;
  let relay: Relay;

  beforeEach(async () => {
    workspace = await createWorkspace();
    server = await startHttpServer();
    const archive = join(workspace.root, 'photos.zip');
    await writeZip(archive, photos);
    server.serve('/photos.zip', await readFile(archive));
    relay = await Relay.start(Number(new URL(server.url('/')).port));
  });

  afterEach(async () => {
    await killLeftovers();
    await relay.down();
    await server.close();
    await removeWorkspace(workspace);
  });

  /** Takes the network down as the request for the sixth entry's bytes arrives. */
  function dropMidway(): Promise<void> {
    return new Promise((dropped) => {
      let ranges = 0;
      server.onRequest((request) => {
        if (request.range && ++ranges === 8) void relay.down().then(dropped);
      });
    });
  }

  async function expectEachDeliveredOnce() {
    const delivered = deliveredFiles(await readAlbums(workspace.out)).map(({ entry, sha256 }) => `${entry} ${sha256}`);
    expect(delivered.sort()).toEqual(photos.map((photo) => `${photo.name} ${sha256(photo.data)}`).sort());
  }

  it('keeps trying past its 5 attempts while the server cannot be reached, and goes on when it can', async () => {
    const cli = startCli(sendArgs(relay.url('/photos.zip'), workspace.out, workspace.state, '--json', '--album-size', '2'));
    await dropMidway();
    // 5 attempts, 1 + 2 + 4 + 8 s apart, are over after 15 s: the run waits on.
    await sleep(18_000);
    expect(cli.running()).toBe(true);
    await relay.up();
    const exit = await cli.exited;

    expect(exit.code).toBe(0);
    const summary = JSON.parse(exit.stdout.trimEnd().split('\n').at(-1)!) as Summary;
    expect(summary).toMatchObject({ delivered: photos.length, failed: [] });
    await expectEachDeliveredOnce();
  });

  it('stops after --network-wait with its summary and exit 4, not as an unreadable archive; the same command then finishes', async () => {
    const cli = startCli(sendArgs(relay.url('/photos.zip'), workspace.out, workspace.state, '--json', '--album-size', '2', '--network-wait', '3'));
    await dropMidway();
    const exit = await cli.exited;

    expect(exit.code).toBe(4);
    expect(exit.stderr).toMatch(/: cannot reach http:\/\/127\.0\.0\.1:\d+\/photos\.zip: .*\(no connection for \d+ s\): check the network; run the same command again to resume\n$/);
    const partial = JSON.parse(exit.stdout.trimEnd().split('\n').at(-1)!) as Summary;
    expect(partial.delivered).toBeLessThan(photos.length);
    expect(partial.failed).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);

    await relay.up();
    const again = await runCli(sendArgs(relay.url('/photos.zip'), workspace.out, workspace.state, '--json', '--album-size', '2'));
    expect(again.code).toBe(0);
    expect(again.summary).toMatchObject({ delivered: photos.length, failed: [] });
    await expectEachDeliveredOnce();
  });
});
