/**
 * An API-key front for the suite's (plain) Temporal dev server, as Temporal Cloud has one: TLS,
 * then each gRPC call must carry `authorization: Bearer <key>`, else it is answered
 * UNAUTHENTICATED (16) as a server whose authorizer refuses it would; calls with the key are
 * forwarded, headers, body and trailers, to the dev server over one HTTP/2 session. The dev server
 * has no authorizer of its own, so this is how a test sees the key travel and a wrong one refused.
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import { listenOnLoopback } from './loopback-server';

export interface ApiKeyProxy {
  address: string;
  /** Calls forwarded (the key was right) and refused (missing or wrong). */
  readonly forwarded: number;
  readonly refused: number;
  close(): Promise<void>;
}

const GRPC_UNAUTHENTICATED = '16';

export async function startApiKeyProxy(opts: { backend: string; cert: string; key: string; apiKey: string }): Promise<ApiKeyProxy> {
  const backend = http2.connect(`http://${opts.backend}`);
  backend.on('error', () => undefined); // a call in flight reports it; the session is closed with the proxy
  let forwarded = 0;
  let refused = 0;
  const server = http2.createSecureServer({ cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key), ALPNProtocols: ['h2'] });

  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (headers.authorization !== `Bearer ${opts.apiKey}`) {
      refused++;
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': GRPC_UNAUTHENTICATED, 'grpc-message': 'Request unauthenticated' },
        { endStream: true },
      );
      return;
    }
    forwarded++;
    const { ':method': method, ':path': path, ':scheme': _scheme, ':authority': _authority, authorization: _key, ...rest } = headers;
    const upstream = backend.request({ ':method': method, ':path': path, ...rest });
    let trailers: http2.OutgoingHttpHeaders = {};
    upstream.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    upstream.on('response', (response) => {
      const { ':status': status, ...rest } = response;
      // A trailers-only answer (an error status at once) stays one: the status is in these headers.
      if ('grpc-status' in response) stream.respond({ ':status': status, ...rest }, { endStream: true });
      else stream.respond({ ':status': status, ...rest }, { waitForTrailers: true });
    });
    upstream.on('trailers', (received) => (trailers = received));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.on('close', () => upstream.close());
    stream.pipe(upstream);
    upstream.pipe(stream);
  });

  const listening = await listenOnLoopback(server, () => backend.close());
  return {
    address: listening.address,
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
    close: listening.close,
  };
}
