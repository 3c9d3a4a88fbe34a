/**
 * A TCP proxy in front of PostgreSQL that the runner can cut: every connection of the workers
 * (their state store, OpenTofu's pg backend) goes through it, so "the state store stops for a
 * few seconds" is a real outage of the connection path — open connections are reset and new ones
 * refused — not a mock. PostgreSQL itself keeps running (other users of the machine's database
 * see nothing).
 */
import net from 'node:net';

export interface StoreProxy {
  port: number;
  /** Resets every open connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  /** Connections forwarded so far (a run that never reached the store is not testing it). */
  connections(): number;
  close(): Promise<void>;
}

export async function startStoreProxy(target: { host: string; port: number }): Promise<StoreProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  let count = 0;
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    count++;
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
