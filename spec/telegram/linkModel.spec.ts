import { Api, helpers } from 'telegram';
import { describe, expect, it } from 'vitest';
import { type LinkConfig, linkBound, linkFloor, LinkModel } from '../support/linkModel.js';

/** A part of `bytes` bytes, as the sink sends one. */
const part = (filePart: number, bytes: number) => new Api.upload.SaveFilePart({ fileId: helpers.returnBigInt(1), filePart, bytes: Buffer.alloc(bytes) });
const send = new Api.messages.SendMedia({ peer: new Api.InputPeerSelf(), media: new Api.InputMediaEmpty(), message: '', randomId: helpers.returnBigInt(7) });

/** The order in which the requests' answers arrive, each request carried as it is listed. */
async function answerOrder(config: LinkConfig, requests: readonly Api.AnyRequest[]): Promise<string[]> {
  const link = new LinkModel(config);
  const order: string[] = [];
  await Promise.all(requests.map((request) => link.carry(request).then(() => order.push(request instanceof Api.upload.SaveFilePart ? `part ${request.filePart}` : 'send'))));
  return order;
}

describe('the link model', () => {
  it('answers requests on one connection in the order their bytes went: a send waits behind the parts written before it', async () => {
    const order = await answerOrder({ roundTripMs: 5, bytesPerSecond: 2e6 }, [part(0, 60_000), part(1, 60_000), part(2, 60_000), send]);
    expect(order).toEqual(['part 0', 'part 1', 'part 2', 'send']);
  });

  it('shares the uplink fairly between connections: a send on a connection of its own passes the parts queued on the other', async () => {
    const connectionOf = (request: Api.AnyRequest) => (request instanceof Api.upload.SaveFilePart ? 1 : 0);
    const order = await answerOrder({ roundTripMs: 5, bytesPerSecond: 2e6, connectionOf }, [part(0, 60_000), part(1, 60_000), part(2, 60_000), send]);
    expect(order).toEqual(['send', 'part 0', 'part 1', 'part 2']);
  });

  it('counts the requests in flight at most, in all and by method', async () => {
    const link = new LinkModel({ roundTripMs: 5, bytesPerSecond: 1e8 });
    await Promise.all([link.carry(part(0, 1000)), link.carry(part(1, 1000)), link.carry(send)]);
    expect(link.stats()).toMatchObject({ requests: 3, maxInFlight: 3, maxInFlightBy: { 'upload.SaveFilePart': 2, 'messages.SendMedia': 1 } });
  });

  it('puts the floor at the bytes over the bandwidth and a round trip per album and two more, the bound at three', () => {
    const config = { roundTripMs: 100, bytesPerSecond: 8e6 };
    expect(linkFloor({ bytes: 80e6, albums: 15 }, config)).toBe(10_000 + 17 * 100);
    expect(linkBound({ bytes: 80e6, albums: 15 }, config)).toBe(10_000 + 3 * 100);
  });
});
