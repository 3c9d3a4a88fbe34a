/**
 * Classifying connection failures from the SDK's own words. Each message below was recorded
 * (2026-11, SDK 1.14 / grpc-js 1.14 / Node 22 OpenSSL 3, and the worker's tonic/rustls) by
 * connecting to a TLS-terminating proxy that requires client certificates, a plain HTTP/2 server,
 * an API-key front and a closed port; "client" is Connection's channel error (read by a second
 * call without retries, as connect-diagnosis.ts does), "worker" NativeConnection's message.
 */
import { hostAndPort } from './connect-diagnosis';
import { classifyConnectFailure, describeSettings, fixFor, scrubReason, TemporalConnectError, type ConnectProblem, type ConnectSettings } from './connect-errors';

const RECORDED: [string, ConnectProblem, string, number?][] = [
  ['client, TLS without a client certificate', 'client-cert-required',
    '14 UNAVAILABLE: No connection established. Last error: 80DC821A8F7F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n (2026-11-30T08:45:35.452Z). Resolution note: '],
  ['worker, TLS without a client certificate', 'client-cert-required',
    'Failed to call GetSystemInfo: code: \'Unknown error\', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: InvalidData, error: "received fatal alert: CertificateRequired" }))'],
  ['client, server CA not trusted', 'unknown-server-ca',
    '14 UNAVAILABLE: No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: '],
  ['worker, server CA not trusted', 'unknown-server-ca',
    'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))'],
  ['client, certificate for another name', 'server-name-mismatch',
    "14 UNAVAILABLE: No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: temporal.example.com. is not in the cert's altnames: IP Address:127.0.0.1, DNS:localhost. Resolution note: "],
  ['worker, certificate for another name', 'server-name-mismatch',
    'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(NotValidForNameContext { expected: DnsName("temporal.example.com"), presented: ["IpAddress(127.0.0.1)", "DnsName(\\"localhost\\")"] }) }))'],
  ['client, nothing listening', 'unreachable',
    '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: '],
  ['worker, nothing listening', 'unreachable',
    'tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))'],
  ['client, no such host', 'unreachable', '14 UNAVAILABLE: Name resolution failed for target dns:no-such-host.invalid:7233'],
  ['worker, no such host', 'unreachable',
    'tonic::transport::Error(Transport, ConnectError(ConnectError("dns error", Custom { kind: Uncategorized, error: "failed to lookup address information: Name or service not known" })))'],
  ['client, TLS to a plain server', 'tls-to-plain-server',
    '14 UNAVAILABLE: No connection established. Last error: Error: 80BC4AE87A7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n. Resolution note: '],
  ['worker, TLS to a plain server', 'tls-to-plain-server',
    'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidMessage(InvalidContentType) }))'],
  ['client, plain to a TLS server', 'connection-closed',
    '14 UNAVAILABLE: No connection established. Last error: Failed to connect (2026-11-30T08:45:35.397Z). Resolution note: '],
  ['worker, plain to a TLS server', 'connection-closed',
    'Failed to call GetSystemInfo: code: \'Unknown error\', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: BrokenPipe, error: "stream closed because of a broken pipe" }))'],
  ['worker, client certificate from another CA (Node TLS server hangs up)', 'connection-closed',
    'Failed to call GetSystemInfo: code: \'Unknown error\', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: UnexpectedEof, error: "peer closed connection without sending TLS close_notify: https://docs.rs/rustls/latest/rustls/manual/_03_howto/index.html#unexpected-eof" }))'],
  ['client, no or wrong API key', 'unauthenticated', '16 UNAUTHENTICATED: Request unauthenticated', 16],
  ['worker, no or wrong API key', 'unauthenticated',
    'Failed to call GetSystemInfo: code: \'The request does not have valid authentication credentials\', message: "Request unauthenticated"'],
  // Not recorded here (a Go TLS server sends the alert Node's does not): as OpenSSL and rustls name them.
  ['client, client certificate refused by a Go server', 'client-cert-rejected',
    '14 UNAVAILABLE: No connection established. Last error: Error: C0:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 42'],
  ['worker, client certificate refused by a Go server', 'client-cert-rejected',
    'hyper::Error(Io, Custom { kind: InvalidData, error: "received fatal alert: BadCertificate" })'],
  ['client, not allowed in the namespace', 'permission-denied', '7 PERMISSION_DENIED: Request unauthorized.', 7],
  ['anything else', 'unknown', 'Failed to connect before the deadline'],
];

describe('classifyConnectFailure', () => {
  // Objects, not rows: a row of 3 given to a function of 4 parameters makes jest wait for a done callback.
  it.each(RECORDED.map(([name, problem, message, code]) => ({ name, problem, message, code })))('$name → $problem', ({ problem, message, code }) => {
    expect(classifyConnectFailure(message, code)).toBe(problem);
  });

  it('takes the gRPC status code over the words', () => {
    expect(classifyConnectFailure('whatever the server said', 16)).toBe('unauthenticated');
    expect(classifyConnectFailure('whatever the server said', 7)).toBe('permission-denied');
  });
});

const plain: ConnectSettings = { address: 'temporal.internal:7233', namespace: 'prod', profile: 'default', tls: false, clientCert: false, serverCa: false, apiKey: false, given: ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE'] };
const mtls: ConnectSettings = { ...plain, tls: true, clientCert: true, serverCa: true, given: [...plain.given, 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'] };

describe('what the error tells', () => {
  it('names the settings that are missing for what the server wants', () => {
    expect(fixFor('client-cert-required', { ...plain, tls: true })).toMatch(/set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(fixFor('plain-to-tls-server', plain)).toMatch(/set TEMPORAL_TLS=true/);
    expect(fixFor('unknown-server-ca', { ...plain, tls: true })).toMatch(/set TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
    expect(fixFor('unknown-server-ca', mtls)).toMatch(/not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
    expect(fixFor('unauthenticated', plain)).toMatch(/set TEMPORAL_API_KEY/);
    expect(fixFor('unauthenticated', { ...plain, tls: true, apiKey: true })).toMatch(/refused the API key: check TEMPORAL_API_KEY/);
    expect(fixFor('unreachable', plain)).toMatch(/nothing answers at temporal\.internal:7233: check TEMPORAL_ADDRESS/);
    expect(fixFor('tls-to-plain-server', mtls)).toMatch(/does not speak TLS/);
    expect(fixFor('connection-closed', mtls)).toMatch(/refuses this client certificate/);
    expect(fixFor('server-name-mismatch', mtls)).toMatch(/TEMPORAL_TLS_SERVER_NAME/);
    // A TLS 1.2 server's "bad certificate" when none was sent: ask for one, do not blame it.
    expect(fixFor('client-cert-rejected', mtls)).toMatch(/does not accept this client certificate/);
    expect(fixFor('client-cert-rejected', { ...plain, tls: true })).toMatch(/without a client certificate .*set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });

  it('says where, with what and why in one error', () => {
    const err = new TemporalConnectError('client-cert-required', { ...plain, tls: true, serverCa: true }, 'tlsv13 alert certificate required');
    expect(err.message).toBe(
      'could not connect to Temporal: the server asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or client_cert_path and client_key_path in the profile\'s tls table)\n' +
        '  connected with: address temporal.internal:7233, namespace prod, profile default, TLS on (client certificate not set, server CA set), API key not set; settings given: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE\n' +
        '  the SDK said: tlsv13 alert certificate required',
    );
  });

  it('says "defaults" when nothing was given and names the config file of a profile', () => {
    expect(describeSettings({ ...plain, given: [], profile: 'prod', configFile: '/home/me/.config/temporalio/temporal.toml' })).toBe(
      'address temporal.internal:7233, namespace prod, profile prod from /home/me/.config/temporalio/temporal.toml, TLS off, API key not set; settings given: none (defaults)',
    );
  });

  it('never repeats the API key, even if a server echoes it', () => {
    expect(scrubReason('16 UNAUTHENTICATED: bad token abc.def.ghi for ns', 'abc.def.ghi')).toBe('16 UNAUTHENTICATED: bad token <TEMPORAL_API_KEY> for ns');
    expect(scrubReason('line one\n  line two', undefined)).toBe('line one line two');
    expect(scrubReason('14 UNAVAILABLE: No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ', undefined))
      .toBe('14 UNAVAILABLE: No connection established. Last error: Error: self-signed certificate in certificate chain');
  });
});

describe('hostAndPort (the probes after a failed connect)', () => {
  it('reads host:port, [v6]:port, and adds Temporal\'s port where the SDK would', () => {
    expect(hostAndPort('temporal.internal:7233')).toEqual({ host: 'temporal.internal', port: 7233 });
    expect(hostAndPort('temporal.internal')).toEqual({ host: 'temporal.internal', port: 7233 });
    expect(hostAndPort('[::1]:7234')).toEqual({ host: '::1', port: 7234 });
    expect(hostAndPort('[::1]')).toEqual({ host: '::1', port: 7233 });
    expect(hostAndPort('::1')).toEqual({ host: '::1', port: 7233 });
  });
});
