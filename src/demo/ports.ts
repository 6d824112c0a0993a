// A demo's familiar ports: hax's usual HTTP port (8008, then the next ones
// for more nodes) when nothing listens there, so the monitor URL is the one
// the docs show; else a free one.
import { createServer } from 'node:net';

/** `port` when nothing listens on it on loopback, else undefined. */
export function portIfFree(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(port)));
  });
}
