/**
 * Certificates for TLS tests, made with openssl in a directory of the test's own: a CA, a server
 * certificate for 127.0.0.1 and localhost (SAN, as gRPC clients check), a client certificate signed
 * by the same CA, and a second, unrelated CA with a client certificate of its own (for "the server's
 * CA is not the one you trust" and "the server does not trust your certificate").
 */
import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from '../../src/system/process';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA the server does not know: trusting it instead of caCert must fail the handshake. */
  otherCaCert: string;
  /** A client certificate signed by otherCa: the server must refuse it. */
  strangerCert: string;
  strangerKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await runCommand(['openssl', ...args], { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}`);
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

/** A leaf signed by `ca`, with its extensions in a file (openssl x509 -req takes no -addext). */
async function makeLeaf(dir: string, name: string, ca: string, extensions: string): Promise<void> {
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
    '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  // rustls (the worker's NativeConnection) reads PKCS#8 keys; openssl 3 writes them already, but be sure.
  await openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.key`, '-out', `${name}.pk8`], dir);
}

export async function makeTestCerts(dir: string): Promise<TestCerts> {
  fs.mkdirSync(dir, { recursive: true });
  await makeCa(dir, 'ca');
  await makeCa(dir, 'other-ca');
  await makeLeaf(dir, 'server', 'ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  const clientExtensions = 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n';
  await makeLeaf(dir, 'client', 'ca', clientExtensions);
  await makeLeaf(dir, 'stranger', 'other-ca', clientExtensions);
  const at = (file: string) => path.join(dir, file);
  return {
    dir,
    caCert: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.pk8'),
    clientCert: at('client.pem'),
    clientKey: at('client.pk8'),
    otherCaCert: at('other-ca.pem'),
    strangerCert: at('stranger.pem'),
    strangerKey: at('stranger.pk8'),
  };
}
