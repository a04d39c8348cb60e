'use strict';
// gramjs connects over TCP in Node.js; its WebSocket transport is for browsers. See package.json.
class Unavailable {
  constructor() {
    throw new Error('unspool: WebSocket connections are not available; gramjs connects over TCP in Node.js');
  }
}
module.exports = { w3cwebsocket: Unavailable, client: Unavailable };
