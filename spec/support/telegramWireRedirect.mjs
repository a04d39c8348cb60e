/**
 * Preloaded into a child process (`NODE_OPTIONS=--import=<this file>`) by `TelegramWire.env()`:
 * points every TCP connection to the wire's session address at the wire itself, read from
 * `UNSPOOL_TEST_TELEGRAM_WIRE=<host>:<port>`. gramjs connects to the session's address on port 80
 * whatever port the session names, and takes no socket from outside, so the redirection happens
 * below it, in `net.Socket.prototype.connect`. Other connections are left alone.
 */
import net from 'node:net';

/** `wireAddress` of telegramWire.ts: a name that never resolves, so an unredirected connection fails at once. */
const wireAddress = 'telegram-wire.invalid';

const target = process.env.UNSPOOL_TEST_TELEGRAM_WIRE;
if (target) {
  const separator = target.lastIndexOf(':');
  const host = target.slice(0, separator);
  const port = Number(target.slice(separator + 1));
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    // gramjs calls connect(port, host, listener); net.connect() passes [options, listener] as one array.
    if (typeof args[0] === 'number' && args[1] === wireAddress) {
      args[0] = port;
      args[1] = host;
    } else if (Array.isArray(args[0]) && args[0][0]?.host === wireAddress) {
      const normalized = args[0];
      normalized[0] = { ...normalized[0], host, port };
    } else if (typeof args[0] === 'object' && args[0] !== null && args[0].host === wireAddress) {
      args[0] = { ...args[0], host, port };
    }
    return connect.apply(this, args);
  };
}
