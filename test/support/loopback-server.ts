/**
 * A test's own server (a proxy, a front) on a free loopback port: listening, and closing with
 * every connection it accepted destroyed, so a test's afterAll never waits on a client's keep-alive.
 */
import type net from 'node:net';

export interface LoopbackServer {
  /** 127.0.0.1:<port> */
  address: string;
  close(): Promise<void>;
}

export async function listenOnLoopback(server: net.Server, onClose: () => void = () => undefined): Promise<LoopbackServer> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        onClose();
        server.close(() => resolve());
      }),
  };
}
