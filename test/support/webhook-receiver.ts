/** A real local HTTP receiver for the manifest's `notify` webhooks: it keeps every JSON body it is sent. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  event: string;
  text: string;
  service?: string;
  deploymentId: string;
  phase: string;
  fields?: Record<string, unknown>;
  /** Receiver clock when it arrived. */
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push({ ...JSON.parse(Buffer.concat(chunks).toString('utf8')), receivedAt: Date.now() });
        res.writeHead(200).end('ok');
      } catch {
        res.writeHead(400).end('not json');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/T000/secret-token`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A URL nothing listens on: a port taken and released at once. */
export async function deadWebhookUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks/dead`;
}
