/**
 * A TLS-terminating proxy in front of the suite's (plain) Temporal dev server: it speaks TLS with
 * ALPN h2, requires a client certificate signed by the test's CA and verifies it, then pipes the
 * decrypted bytes to the backend. It counts what it saw, so a test can prove its traffic went
 * through TLS (and that a refused client was refused here, at the handshake).
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { listenOnLoopback } from './loopback-server';

export interface TlsProxyOptions {
  /** host:port of the plain backend (testEnv().address). */
  backend: string;
  cert: string;
  key: string;
  /** The CA client certificates must be signed by. */
  clientCa: string;
}

export interface TlsProxy {
  /** 127.0.0.1:<port> */
  address: string;
  /** Handshakes completed with a verified client certificate, each piped to the backend. */
  readonly tlsConnections: number;
  /** Connections whose handshake failed, by the error's code (or message). */
  readonly refusals: string[];
  close(): Promise<void>;
}

export async function startTlsProxy(opts: TlsProxyOptions): Promise<TlsProxy> {
  const [backendHost, backendPort] = splitAddress(opts.backend);
  const sockets = new Set<net.Socket>();
  let tlsConnections = 0;
  const refusals: string[] = [];

  const server = tls.createServer(
    {
      cert: fs.readFileSync(opts.cert),
      key: fs.readFileSync(opts.key),
      ca: fs.readFileSync(opts.clientCa),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      tlsConnections++;
      const upstream = net.connect(backendPort, backendHost);
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      // Either side's end or error ends both: no half-open pipes left behind.
      const closeBoth = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', closeBoth).on('close', closeBoth);
      upstream.on('error', closeBoth).on('close', closeBoth);
      client.pipe(upstream).pipe(client);
    },
  );
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => refusals.push(err.code ?? err.message));

  // Upstream sockets are ours to end too; the accepted ones are listenOnLoopback's.
  const listening = await listenOnLoopback(server, () => sockets.forEach((socket) => socket.destroy()));
  return {
    address: listening.address,
    get tlsConnections() {
      return tlsConnections;
    },
    get refusals() {
      return refusals;
    },
    close: listening.close,
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
