/**
 * Turning a failed Connection.connect / NativeConnection.connect into a TemporalConnectError that
 * says why. The worker's native connection names the cause itself; the client's (grpc-js) only
 * says "Failed to connect before the deadline", so one more call, without the SDK's retries, reads
 * the channel's last error. A plain client whose connection is merely dropped asks the server for
 * a TLS handshake once, to tell "turn TLS on" from "something else closed it".
 */
import net from 'node:net';
import tls from 'node:tls';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { classifyConnectFailure, scrubReason, TemporalConnectError, type ConnectProblem } from './connect-errors';
import type { ResolvedConnection } from './connect-settings';

const DIAGNOSIS_TIMEOUT_MS = 5_000;

export async function connectFailure(err: unknown, resolved: ResolvedConnection, via: 'client' | 'worker'): Promise<TemporalConnectError> {
  let { message, code } = reasonOf(err);
  if (via === 'client' && /Failed to connect before the deadline/.test(message)) {
    ({ message, code } = await lastChannelError(resolved).catch(() => ({ message, code })));
  }
  let problem: ConnectProblem = classifyConnectFailure(message, code);
  if (problem === 'unknown') {
    // grpc-js does not always keep the channel's last error ("Last error: null"): ask TCP itself.
    const refused = await tcpRefusal(resolved.settings.address).catch(() => undefined);
    if (refused) ({ problem, message } = { problem: 'unreachable', message: refused });
  }
  if (problem === 'connection-closed' && resolved.settings.tls && via === 'worker') {
    // The native (rustls) connection races the server's TLS 1.3 alert: a refused client certificate
    // reads as a broken pipe or an EOF as often as not. grpc-js's own probe reads the alert.
    const probe = await lastChannelError(resolved).catch(() => undefined);
    const probed = probe ? classifyConnectFailure(probe.message, probe.code) : 'unknown';
    if (probe && probed !== 'unknown' && probed !== 'connection-closed') ({ problem, message } = { problem: probed, message: probe.message });
  }
  if (problem === 'connection-closed' && !resolved.settings.tls && (await speaksTls(resolved.settings.address).catch(() => false))) {
    problem = 'plain-to-tls-server';
  }
  return new TemporalConnectError(problem, resolved.settings, scrubReason(message, resolved.apiKey));
}

function reasonOf(err: unknown): { message: string; code?: number } {
  // Connection.connect wraps a refused GetSystemInfo in ServiceError('Failed to connect to Temporal server', { cause }).
  const cause = (err as { cause?: unknown })?.cause;
  const inner = isGrpcServiceError(cause) ? cause : isGrpcServiceError(err) ? err : undefined;
  if (inner) return { message: inner.message, code: inner.code };
  return { message: err instanceof Error ? err.message : String(err) };
}

/** One GetSystemInfo without the retry interceptor: it fails with the channel's "Last error: …". */
async function lastChannelError(resolved: ResolvedConnection): Promise<{ message: string; code?: number }> {
  // A subchannel of its own: from the shared pool it would get the failed one in back-off, whose
  // error this new channel never saw ("Last error: null").
  const probe = Connection.lazy({ ...resolved.connectionOptions, interceptors: [], channelArgs: { 'grpc.use_local_subchannel_pool': 1 } });
  try {
    await probe.withDeadline(Date.now() + DIAGNOSIS_TIMEOUT_MS, () => probe.workflowService.getSystemInfo({}));
    return { message: 'the server answered a second attempt: it may have been starting; try again' };
  } catch (err) {
    return reasonOf(err);
  } finally {
    await probe.close().catch(() => undefined);
  }
}

/** Temporal's port when the address has none (the SDK adds it too). */
const DEFAULT_TEMPORAL_PORT = 7233;

export function hostAndPort(address: string): { host: string; port: number } {
  // host, host:port, [v6]:port, [v6]; a bare IPv6 address has colons but no port.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : DEFAULT_TEMPORAL_PORT };
  const at = address.lastIndexOf(':');
  if (at === -1 || address.indexOf(':') !== at) return { host: address, port: DEFAULT_TEMPORAL_PORT };
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** Why a TCP connection to `address` fails (refused, no such host, timed out), or undefined if it opens. */
export function tcpRefusal(address: string): Promise<string | undefined> {
  const { host, port } = hostAndPort(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: DIAGNOSIS_TIMEOUT_MS });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`TCP connect to ${address}: ${err.code ?? err.message}`));
    socket.once('timeout', () => done(`TCP connect to ${address}: ETIMEDOUT after ${DIAGNOSIS_TIMEOUT_MS} ms`));
  });
}

/** True if the server at `address` answers a TLS ClientHello (a handshake, or a TLS alert). */
export function speaksTls(address: string): Promise<boolean> {
  const { host, port } = hostAndPort(address);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      ...(net.isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
      timeout: DIAGNOSIS_TIMEOUT_MS,
    });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('secureConnect', () => done(true));
    // An alert (certificate required, handshake failure) is the server speaking TLS too.
    socket.once('error', (err: NodeJS.ErrnoException) => done(/ALERT/i.test(err.code ?? '')));
    socket.once('timeout', () => done(false));
  });
}
