import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { AesGcmCodec, CodecKeyError, codecKeysFromEnv, KEY_FILE_VAR, KEYS_VAR } from '../../codec';
import { CODEC_SERVER_TOKEN_VAR, DEFAULT_CODEC_SERVER_PORT, DEFAULT_CORS_ORIGINS, DEFAULT_MAX_BODY_BYTES, startCodecServer } from '../../codec/server';
import { CliError, ExitCode } from '../exit-codes';
import { untilInterrupted } from '../interrupt';
import { parsePort } from '../options';

interface CodecServerFlags {
  host: string;
  port: number;
  corsOrigin?: string[];
  maxBodyMb: number;
}

const HELP = `
What it is for:
  With ${KEYS_VAR} (or ${KEY_FILE_VAR}) set on workers and clients, manifests,
  outputs, progress and failure messages are AES-256-GCM encrypted in Temporal's history. The Web
  UI and the temporal CLI show them as binary/encrypted unless they ask a codec server to decode
  them: this is one. It needs the same keys (all of them: old keys decode old histories) and never
  logs a payload.

Point the Temporal tools at it:
  temporal workflow show -w <workflow id> --codec-endpoint http://127.0.0.1:${DEFAULT_CODEC_SERVER_PORT}
      with a token: add --codec-auth "Bearer $${CODEC_SERVER_TOKEN_VAR}"
  Web UI, in one browser: the data encoder ("Codec Server") setting, http://127.0.0.1:${DEFAULT_CODEC_SERVER_PORT}
  Web UI, for everyone: the UI server's TEMPORAL_CODEC_ENDPOINT, e.g. in docker-compose.temporal.yml
      services.temporal-ui.environment: TEMPORAL_CODEC_ENDPOINT: http://localhost:${DEFAULT_CODEC_SERVER_PORT}
      (then --cors-origin http://localhost:8080), or for a dev server:
      temporal server start-dev --ui-codec-endpoint http://127.0.0.1:${DEFAULT_CODEC_SERVER_PORT}

  The browser calls the codec server itself, from the UI's origin: the endpoint must be reachable
  from the browser, and that origin listed with --cors-origin (default: the local dev server's
  UI, ${DEFAULT_CORS_ORIGINS.join(' and ')}). The Web UI can only send its signed-in user's access token, not a
  fixed one: with ${CODEC_SERVER_TOKEN_VAR} set, put a proxy that adds the header in front of it.

Examples:
  ${KEYS_VAR}=2026-11:$(cat key.b64) tugboat codec-server
  ${KEY_FILE_VAR}=/etc/tugboat/codec-keys ${CODEC_SERVER_TOKEN_VAR}=$(cat token) \\
    tugboat codec-server --host 0.0.0.0 --cors-origin https://temporal.example.com

Security: anyone who can reach it can decrypt whatever they can read from Temporal. Keep it on
127.0.0.1 (the default) or set ${CODEC_SERVER_TOKEN_VAR} (read from the environment, never a
flag, so it stays out of process listings) and serve it behind TLS.`;

export function registerCodecServer(program: Command): void {
  program
    .command('codec-server')
    .description('Serve the Temporal codec-server protocol (POST /encode, /decode) so the Web UI and temporal CLI show encrypted payloads decoded.')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', parsePort, DEFAULT_CODEC_SERVER_PORT)
    .option('--cors-origin <origin>', `a Web UI origin the browser may call from (repeatable; default ${DEFAULT_CORS_ORIGINS.join(', ')})`, collectOrigin)
    .option('--max-body-mb <mb>', 'largest request body accepted, in MiB', parseMegabytes, DEFAULT_MAX_BODY_BYTES / (1024 * 1024))
    .addHelpText('after', HELP)
    .action(async (flags: CodecServerFlags) => {
      let keys;
      try {
        keys = codecKeysFromEnv(process.env);
      } catch (err) {
        if (err instanceof CodecKeyError) throw new CliError(err.message, ExitCode.badInput);
        throw err;
      }
      if (!keys) {
        throw new CliError(
          `the codec server needs the keys the workers use: set ${KEYS_VAR}=id:base64key[,id:base64key…] or ${KEY_FILE_VAR}=<file> (make a key with \`openssl rand -base64 32\`)`,
          ExitCode.badInput,
        );
      }
      const token = process.env[CODEC_SERVER_TOKEN_VAR] || undefined;
      if (!token && !isLoopbackHost(flags.host)) {
        // Not refused: behind an authenticating proxy (the Web UI cannot send a fixed token) this is the setup.
        process.stderr.write(
          `warning: listening on ${flags.host} without ${CODEC_SERVER_TOKEN_VAR}: whoever can reach this port can decrypt every payload they can read from Temporal. ` +
            `Put it behind an authenticating proxy, or set ${CODEC_SERVER_TOKEN_VAR}.\n`,
        );
      }
      const corsOrigins = flags.corsOrigin ?? DEFAULT_CORS_ORIGINS;
      const server = await startCodecServer({
        codec: new AesGcmCodec(keys),
        host: flags.host,
        port: flags.port,
        corsOrigins,
        token,
        maxBodyBytes: Math.round(flags.maxBodyMb * 1024 * 1024),
        log: (line) => process.stderr.write(`${line}\n`),
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new CliError(`${flags.host}:${flags.port} is in use: pick another --port`, ExitCode.refused);
        throw err;
      });
      process.stdout.write(
        `codec server on ${server.url} (encrypts with key ${keys.encryptWith}, decrypts ${[...keys.byId.keys()].join(', ')}; ` +
          `CORS for ${corsOrigins.join(', ')}; ${token ? `bearer token from ${CODEC_SERVER_TOKEN_VAR}` : 'no token'}); Ctrl-C to stop\n`,
      );
      await untilInterrupted();
      await server.close();
    });
}

function collectOrigin(value: string, previous: string[] | undefined): string[] {
  let origin: string;
  try {
    origin = new URL(value).origin;
  } catch {
    throw new InvalidArgumentError('expected an origin such as https://temporal.example.com or http://localhost:8233');
  }
  if (origin === 'null' || origin !== value.replace(/\/$/, '')) {
    throw new InvalidArgumentError(`expected an origin (scheme://host[:port], no path), e.g. ${origin === 'null' ? 'http://localhost:8233' : origin}`);
  }
  return [...(previous ?? []), origin];
}

function parseMegabytes(value: string): number {
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0 || mb > 1024) throw new InvalidArgumentError('expected a size in MiB from 1 to 1024');
  return mb;
}

/** 127.0.0.1, ::1, localhost: reachable from this machine only. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
