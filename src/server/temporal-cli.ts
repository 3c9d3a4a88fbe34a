/**
 * Finds the `temporal` CLI (which contains the dev server), building it from source with Go as a last
 * resort: the prebuilt release downloads are not reachable everywhere, but the Go module proxy usually is.
 */
import { findTool, runBuildStep, ToolNotFoundError, type FindToolOptions, type ToolSpec } from '../tools/find-tool';
import { temporalCacheDir } from '../system/paths';
import { TEMPORAL_CLI_VERSION } from './temporal-version';

// Re-exported so existing importers keep one place to get the CLI from.
export { findOnPath } from '../tools/find-tool';
export { TEMPORAL_CLI_VERSION };
export type FindTemporalCliOptions = FindToolOptions;

const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export class TemporalCliNotFoundError extends ToolNotFoundError {
  constructor(cacheDir: string) {
    super('The Temporal CLI (`temporal`, which runs the local dev server) was not found.', [
      'set TEMPORAL_CLI_PATH to an existing `temporal` binary;',
      'install it per https://docs.temporal.io/cli (e.g. `brew install temporal`) so it is on PATH;',
      `install Go (https://go.dev/dl) and Tugboat builds v${TEMPORAL_CLI_VERSION} once into ${cacheDir};`,
      'or run a server with Docker: `docker compose -f docker-compose.temporal.yml up -d`\n' +
        'and point Tugboat at it with TEMPORAL_ADDRESS=localhost:7233.',
    ]);
  }
}

export const TEMPORAL_CLI_SPEC: ToolSpec = {
  displayName: 'the Temporal CLI',
  version: TEMPORAL_CLI_VERSION,
  envVar: 'TEMPORAL_CLI_PATH',
  pathNames: ['temporal'],
  cacheDir: temporalCacheDir,
  binaryName: 'temporal',
  buildMinutes: 4,
  // GOBIN=tmpDir: `go install` names the binary `temporal`, which is `output`.
  // No CGO_ENABLED override: the CLI is pure Go, and Go turns cgo off by itself when there is no C compiler.
  build: ({ go, tmpDir, env }) =>
    runBuildStep([go, 'install', `${TEMPORAL_CLI_PACKAGE}@v${TEMPORAL_CLI_VERSION}`], { env: { ...env, GOBIN: tmpDir } }),
  notFound: (cacheDir) => new TemporalCliNotFoundError(cacheDir),
};

/** TEMPORAL_CLI_PATH, then `temporal` on PATH, then the cached build, then a fresh build with Go. */
export function findTemporalCli(opts: FindTemporalCliOptions = {}): Promise<string> {
  return findTool(TEMPORAL_CLI_SPEC, opts);
}
