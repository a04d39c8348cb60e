import type { Socket } from 'node:net';
import { FullPacketReader, fullPacket, openFromClient, readMessages, sealForClient, type ClientMessage, type ServerMessageIds } from './mtproto.js';

/** One client connection: TCP full packets in, sealed answers out, each way with its own counters. */
export class WireConnection {
  private readonly packets = new FullPacketReader();
  /** Packets are read one after another, so requests reach the handler in the order they were sent. */
  private reading = Promise.resolve();
  private sentPackets = 0;
  private sentContent = 0;
  private salt: Buffer = Buffer.alloc(8);
  private sessionId: Buffer = Buffer.alloc(8);
  /** Blackholed: reads nothing, answers nothing. */
  private silent = false;
  /** Swallowed by a blackhole that has ended: the next bytes from the client get a reset. */
  private dead = false;

  constructor(
    readonly socket: Socket,
    private readonly authKey: Buffer,
    private readonly ids: ServerMessageIds,
    private readonly serve: (message: ClientMessage, connection: WireConnection) => Promise<void>,
  ) {
    socket.on('data', (chunk) => this.receive(chunk));
    // A client that goes away mid-write is an ordinary end of a connection, not a test failure.
    socket.on('error', () => undefined);
  }

  /** Stops reading and answering: a blackhole. */
  silence(): void {
    this.silent = true;
    this.socket.pause();
  }

  /** Ends a blackhole: carries on (`revive`), or resets at the client's next bytes. */
  wake(revive: boolean): void {
    this.silent = false;
    this.dead = !revive;
    this.socket.resume();
  }

  /** Sends one content-related message (odd MTProto seq_no) in a TCP full packet. */
  send(body: Buffer): void {
    if (this.silent || this.dead || this.socket.destroyed) return;
    const sealed = sealForClient(this.authKey, { salt: this.salt, sessionId: this.sessionId, msgId: this.ids.next(), seqNo: this.sentContent++ * 2 + 1, body });
    this.socket.write(fullPacket(this.sentPackets++, sealed));
  }

  private receive(chunk: Buffer): void {
    if (this.dead) {
      this.socket.resetAndDestroy();
      return;
    }
    let payloads: Buffer[];
    try {
      payloads = this.packets.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const payload of payloads) this.reading = this.reading.then(() => this.read(payload));
  }

  private async read(payload: Buffer): Promise<void> {
    try {
      const sealed = openFromClient(this.authKey, payload);
      this.salt = sealed.salt;
      this.sessionId = sealed.sessionId;
      for (const message of await readMessages(sealed.msgId, sealed.body)) void this.serve(message, this);
    } catch {
      // Telegram drops a connection that sends what it cannot read.
      this.socket.destroy();
    }
  }
}
