/**
 * Finds OpenTofu (or Terraform, which speaks the same language), building OpenTofu from source with Go
 * as a last resort, like the Temporal CLI.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { userCacheDir } from '../system/paths';
import { findTool, runBuildStep, ToolNotFoundError, type FindToolOptions, type ToolSpec } from './find-tool';

export const TOFU_VERSION = '1.12.6';
const TOFU_PACKAGE = 'github.com/opentofu/opentofu/cmd/tofu';

/** Where OpenTofu built from source is kept; versioned so an upgrade never reuses an old build. */
export function tofuCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'tugboat', `tofu-${TOFU_VERSION}`);
}

export class TofuNotFoundError extends ToolNotFoundError {
  constructor(cacheDir: string) {
    super('OpenTofu (`tofu`) or Terraform (`terraform`) was not found.', [
      'set TUGBOAT_TOFU_PATH to an existing `tofu` or `terraform` binary;',
      'install OpenTofu (https://opentofu.org/docs/intro/install/) or Terraform so it is on PATH;',
      `or install Go (https://go.dev/dl) and Tugboat builds OpenTofu v${TOFU_VERSION} once into ${cacheDir} (about 5 minutes).`,
    ]);
  }
}

/*
 * `go install github.com/opentofu/opentofu/cmd/tofu@v…` is refused because OpenTofu's go.mod has a replace
 * line, and `go install pkg@version` ignores replaces. So we build from a throwaway module that requires
 * OpenTofu and repeats that replace (its fork of HCL); tools.go makes the requirement survive `go mod tidy`.
 */
const WRAPPER_GO_MOD = `module tugboat.local/tofu-build

go 1.26.6

require github.com/opentofu/opentofu v${TOFU_VERSION}

replace github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828
`;
const WRAPPER_TOOLS_GO = `//go:build tools

package tools

import _ "${TOFU_PACKAGE}"
`;

export const TOFU_SPEC: ToolSpec = {
  displayName: 'OpenTofu',
  version: TOFU_VERSION,
  envVar: 'TUGBOAT_TOFU_PATH',
  pathNames: ['tofu', 'terraform'],
  cacheDir: tofuCacheDir,
  binaryName: 'tofu',
  buildMinutes: 5,
  async build({ go, tmpDir, output, env }) {
    await fs.writeFile(path.join(tmpDir, 'go.mod'), WRAPPER_GO_MOD);
    await fs.writeFile(path.join(tmpDir, 'tools.go'), WRAPPER_TOOLS_GO);
    // -mod=mod (the verified recipe): let go update go.mod/go.sum where tidy left a gap instead of refusing.
    const opts = { cwd: tmpDir, env: { ...env, GOFLAGS: '-mod=mod' } };
    await runBuildStep([go, 'mod', 'tidy'], opts);
    await runBuildStep([go, 'build', '-o', output, TOFU_PACKAGE], opts);
  },
  notFound: (cacheDir) => new TofuNotFoundError(cacheDir),
};

/**
 * TUGBOAT_TOFU_PATH, then `tofu` or `terraform` on PATH, then the cached build, then a fresh build
 * with Go. `openTofuOnly`: skip a `terraform` on PATH (the test suite proves Tugboat against
 * OpenTofu itself, whatever else the machine has installed).
 */
export function findTofu(opts: FindToolOptions & { openTofuOnly?: boolean } = {}): Promise<string> {
  const spec = opts.openTofuOnly ? { ...TOFU_SPEC, pathNames: ['tofu'] } : TOFU_SPEC;
  return findTool(spec, opts);
}
