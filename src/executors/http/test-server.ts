/**
 * For tests of the http executor and of service health checks: a real local HTTP server on a free
 * port that records every request (with the time it arrived) and answers as the test says. Not
 * used by production code.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Epoch ms when the request was complete: what timing assertions compare. */
  at: number;
}

/** Answers one request; may leave `res` open to hold the request. */
export type TestHandler = (req: ReceivedRequest, res: http.ServerResponse) => void;

export interface TestServer {
  url: string;
  requests: ReceivedRequest[];
  /** Replaces how the server answers from the next request on. */
  handle(handler: TestHandler): void;
  /** Also drops connections a handler left open. */
  close(): Promise<void>;
}

export async function startTestServer(handler: TestHandler = (_req, res) => res.end()): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  let current = handler;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(received);
      current(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A URL on a port nothing listens on (it was free a moment ago): connection refused. */
export async function closedPortUrl(): Promise<string> {
  const server = await startTestServer();
  await server.close();
  return server.url;
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
