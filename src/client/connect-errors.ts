/**
 * Why a connection to Temporal failed, told from the SDK's own error text, and what to set about
 * it. Pure: the messages classified here were recorded from @temporalio/client (grpc-js, Node's
 * OpenSSL) and @temporalio/worker (tonic/rustls) against a real TLS-terminating server; see
 * connect-errors.test.ts. Nothing here prints key material or the API key: settings are named,
 * never shown, and the server's reason is scrubbed of the key before it is quoted.
 */

/** What the CLI, worker and ingress connected with, as names and flags only (no secrets). */
export interface ConnectSettings {
  address: string;
  namespace: string;
  /** The config-file profile used ('default' when none was named). */
  profile: string;
  /** The temporal.toml read, if one was. */
  configFile?: string;
  tls: boolean;
  clientCert: boolean;
  serverCa: boolean;
  serverName?: string;
  apiKey: boolean;
  /** The settings given, by the name the user set them with (env var or profile key). */
  given: string[];
}

export type ConnectProblem =
  | 'unreachable'
  | 'client-cert-required'
  | 'client-cert-rejected'
  | 'unknown-server-ca'
  | 'server-name-mismatch'
  | 'tls-to-plain-server'
  | 'plain-to-tls-server'
  | 'unauthenticated'
  | 'permission-denied'
  | 'connection-closed'
  | 'unknown';

const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;

/** Most specific first: a TLS failure is also a "failed to connect". */
const PATTERNS: [ConnectProblem, RegExp][] = [
  ['client-cert-required', /certificate required|CertificateRequired|PEER_DID_NOT_RETURN_A_CERTIFICATE/i],
  ['client-cert-rejected', /alert bad certificate|BadCertificate|alert unknown ca|AlertReceived\(UnknownCA\)|alert certificate unknown|CertificateUnknown/i],
  ['server-name-mismatch', /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|NotValidForName/i],
  [
    'unknown-server-ca',
    /self[- ]signed certificate|unable to (get local issuer|verify the first) certificate|UnknownIssuer|UNABLE_TO_VERIFY_LEAF_SIGNATURE|certificate signature failure/i,
  ],
  ['tls-to-plain-server', /wrong version number|InvalidContentType|packet length too long|CorruptMessage|http request to https|received corrupt message/i],
  ['unauthenticated', /UNAUTHENTICATED|valid authentication credentials|Request unauthenticated/i],
  ['permission-denied', /PERMISSION_DENIED|does not have permission|Request unauthorized/i],
  [
    'unreachable',
    /ECONNREFUSED|Connection refused|ConnectionRefused|ENOTFOUND|EAI_AGAIN|Name resolution failed|dns error|lookup address|EHOSTUNREACH|ENETUNREACH|No route to host|ETIMEDOUT|tcp connect error/i,
  ],
  // The peer hung up without saying why: grpc-js says only "Failed to connect", tonic a broken
  // pipe or an EOF. A TLS server that refuses a client certificate after the handshake (Node's
  // does) looks like this, and so does a plain client at a TLS port (told apart by a probe).
  ['connection-closed', /Last error: Failed to connect|^Failed to connect \(|broken pipe|BrokenPipe|UnexpectedEof|ECONNRESET|connection reset/i],
];

/** The problem the SDK's message (and gRPC status code, if any) points to. */
export function classifyConnectFailure(message: string, code?: number): ConnectProblem {
  if (code === GRPC_UNAUTHENTICATED) return 'unauthenticated';
  if (code === GRPC_PERMISSION_DENIED) return 'permission-denied';
  for (const [problem, pattern] of PATTERNS) if (pattern.test(message)) return problem;
  return 'unknown';
}

/** What the server seems to want, and the settings that give it. */
export function fixFor(problem: ConnectProblem, s: ConnectSettings): string {
  switch (problem) {
    case 'unreachable':
      return `nothing answers at ${s.address}: check TEMPORAL_ADDRESS (host:port of the Temporal frontend) and that the server is up and reachable from here`;
    case 'client-cert-required':
      return s.clientCert
        ? 'the server asks for a client certificate and did not get one it could use: check TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH'
        : 'the server asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or client_cert_path and client_key_path in the profile\'s tls table)';
    case 'client-cert-rejected':
      // A TLS 1.2 server answers "bad certificate" also when no certificate was sent at all.
      return s.clientCert
        ? 'the server does not accept this client certificate: use one signed by a CA the server trusts (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)'
        : 'the server refused the connection without a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
    case 'unknown-server-ca':
      return s.serverCa
        ? "the server's certificate is not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH: point it at the CA that signed the server's certificate"
        : "the server's certificate is signed by a CA this machine does not trust: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to that CA's certificate";
    case 'server-name-mismatch':
      return `the server's certificate is not for the host in ${s.address}${s.serverName ? ` (or TEMPORAL_TLS_SERVER_NAME=${s.serverName})` : ''}: set TEMPORAL_TLS_SERVER_NAME to a name the certificate is for, or connect by that name`;
    case 'tls-to-plain-server':
      return `TLS is on but the server at ${s.address} does not speak TLS: unset the TLS settings (or TEMPORAL_TLS=false), or check TEMPORAL_ADDRESS`;
    case 'plain-to-tls-server':
      return `the server at ${s.address} speaks TLS and TLS is off: set TEMPORAL_TLS=true (with TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA, and TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH if it wants mTLS), or TEMPORAL_API_KEY for Temporal Cloud`;
    case 'unauthenticated':
      return s.apiKey
        ? 'the server refused the API key: check TEMPORAL_API_KEY (expired, revoked, or for another account or namespace)'
        : 'the server wants credentials: set TEMPORAL_API_KEY (TLS goes on with it), or a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)';
    case 'permission-denied':
      return `these credentials may not use namespace ${s.namespace}: check TEMPORAL_NAMESPACE and what the API key or certificate is allowed`;
    case 'connection-closed':
      if (!s.tls) return `the server at ${s.address} closed the connection: check TEMPORAL_ADDRESS points at a Temporal frontend (gRPC), and whether it wants TLS (TEMPORAL_TLS=true)`;
      return s.clientCert
        ? `the server at ${s.address} closed the connection after the TLS handshake: it most likely refuses this client certificate (is it signed by a CA the server trusts? TEMPORAL_TLS_CLIENT_CERT_PATH), or what answers there is not a Temporal frontend (TEMPORAL_ADDRESS)`
        : `the server at ${s.address} closed the connection after the TLS handshake: it may want a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH), or what answers there is not a Temporal frontend (TEMPORAL_ADDRESS)`;
    case 'unknown':
      return 'check the settings below (tugboat reads them as every Temporal tool does)';
  }
}

/** One line saying what was used: the reader sees at once what was (and was not) set. */
export function describeSettings(s: ConnectSettings): string {
  const tls = s.tls
    ? `TLS on (client certificate ${s.clientCert ? 'set' : 'not set'}, server CA ${s.serverCa ? 'set' : "the system's"}${s.serverName ? `, server name ${s.serverName}` : ''})`
    : 'TLS off';
  const profile = `profile ${s.profile}${s.configFile ? ` from ${s.configFile}` : ''}`;
  return `address ${s.address}, namespace ${s.namespace}, ${profile}, ${tls}, API key ${s.apiKey ? 'set' : 'not set'}; ` +
    `settings given: ${s.given.length > 0 ? s.given.join(', ') : 'none (defaults)'}`;
}

/** Connecting failed: the message names where, with what, why, and the fix. */
export class TemporalConnectError extends Error {
  constructor(
    readonly problem: ConnectProblem,
    readonly settings: ConnectSettings,
    reason: string,
  ) {
    super(
      `could not connect to Temporal: ${fixFor(problem, settings)}\n` +
        `  connected with: ${describeSettings(settings)}\n` +
        `  the SDK said: ${reason}`,
    );
    this.name = 'TemporalConnectError';
  }
}

/**
 * The connection settings themselves are unusable (a profile that is not there, a certificate
 * file that cannot be read): bad input, nothing was attempted.
 */
export class TemporalSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalSettingsError';
  }
}

/** The SDK's reason, on one line, with the API key cut out should a server ever echo it. */
export function scrubReason(reason: string, apiKey: string | undefined): string {
  // grpc-js ends with an empty "Resolution note:" (DNS said nothing): noise here.
  let text = reason.replace(/\s*\n\s*/g, ' ').replace(/\.?\s*Resolution note:\s*$/, '').trim();
  if (apiKey) text = text.split(apiKey).join('<TEMPORAL_API_KEY>');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
