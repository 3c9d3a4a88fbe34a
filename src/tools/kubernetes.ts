/**
 * Finds Kubernetes' binaries (the control plane behind `tugboat dev-cluster`, kubectl, KWOK and
 * Helm), building them from the Go module proxy once into Tugboat's cache, like the Temporal CLI.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { userCacheDir } from '../system/paths';
import { runCommand } from '../system/process';
import { findTool, runBuildStep, ToolNotFoundError, type BuildContext, type FindToolOptions, type ToolSpec } from './find-tool';

export const KUBERNETES_VERSION = '1.34.4';
/** What Kubernetes 1.34's own client uses; Debian's etcd 3.4 lacks what the API server's watch lists need. */
export const ETCD_VERSION = '3.6.4';
export const KWOK_VERSION = '0.7.0';
export const HELM_VERSION = '3.19.5';

const CONTROL_PLANE = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
type ControlPlaneBinary = (typeof CONTROL_PLANE)[number];
const BUNDLE = [...CONTROL_PLANE, 'kubectl'] as const;
type BundleBinary = (typeof BUNDLE)[number];
const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].map((c) => `k8s.io/kubernetes/cmd/${c}`);
const ETCD_PACKAGE = 'go.etcd.io/etcd/server/v3';

export function kubernetesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'tugboat', `kubernetes-${KUBERNETES_VERSION}`);
}

/** TUGBOAT_KUBE_APISERVER_PATH, TUGBOAT_ETCD_PATH, …: one override per binary, as TUGBOAT_TOFU_PATH. */
function envVarOf(binary: string): string {
  return `TUGBOAT_${binary.replace(/-/g, '_').toUpperCase()}_PATH`;
}

export class KubernetesToolNotFoundError extends ToolNotFoundError {}

/*
 * `go install k8s.io/kubernetes/cmd/…@v1.34.4` is refused: Kubernetes' go.mod replaces its staging
 * modules (k8s.io/api, k8s.io/client-go, …) with paths inside its own repository, and `go install
 * pkg@version` ignores replaces. The wrapper module below requires k8s.io/kubernetes and points each
 * staging module at its published v0.x release instead; the list is read from Kubernetes' own go.mod,
 * so it is right for whatever version is pinned. etcd builds in the same module (one download, one build).
 */
async function buildBundle({ go, tmpDir, env, log }: BuildContext): Promise<void> {
  const stagingVersion = `v0.${KUBERNETES_VERSION.split('.').slice(1).join('.')}`;
  const goMod = await kubernetesGoMod(go, tmpDir, env);
  const staging = stagingModules(goMod);
  if (staging.length === 0) throw new Error(`found no staging modules in k8s.io/kubernetes v${KUBERNETES_VERSION}'s go.mod`);
  await fs.writeFile(
    path.join(tmpDir, 'go.mod'),
    [
      'module tugboat.local/kubernetes-build',
      '',
      'go 1.24.0',
      '',
      `require (\n\tk8s.io/kubernetes v${KUBERNETES_VERSION}\n\t${ETCD_PACKAGE} v${ETCD_VERSION}\n)`,
      '',
      `replace (\n${staging.map((m) => `\t${m} => ${m} ${stagingVersion}`).join('\n')}\n)`,
      '',
    ].join('\n'),
  );
  await fs.writeFile(
    path.join(tmpDir, 'tools.go'),
    `//go:build tools\n\npackage tools\n\nimport (\n${[ETCD_PACKAGE, ...KUBERNETES_COMMANDS].map((p) => `\t_ "${p}"`).join('\n')}\n)\n`,
  );
  const opts = { cwd: tmpDir, env: { ...env, GOFLAGS: '-mod=mod' } };
  await runBuildStep([go, 'mod', 'tidy'], opts);
  // What `kubectl version` and the API server report; -s -w drop the symbol tables (about a third of the size).
  const [major, minor] = KUBERNETES_VERSION.split('.');
  const versionFlags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=v${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
  log(`  building kube-apiserver, kube-controller-manager, kube-scheduler and kubectl v${KUBERNETES_VERSION}…`);
  await runBuildStep([go, 'build', '-trimpath', '-ldflags', ['-s', '-w', ...versionFlags].join(' '), '-o', tmpDir + path.sep, ...KUBERNETES_COMMANDS], opts);
  log(`  building etcd v${ETCD_VERSION}…`);
  await runBuildStep([go, 'build', '-trimpath', '-ldflags', '-s -w', '-o', path.join(tmpDir, 'etcd'), ETCD_PACKAGE], opts);
}

/** Kubernetes' own go.mod, from the module cache (downloaded if needed). */
async function kubernetesGoMod(go: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCommand([go, 'mod', 'download', '-json', `k8s.io/kubernetes@v${KUBERNETES_VERSION}`], { cwd, env });
  const info = JSON.parse(result.stdout || '{}') as { GoMod?: string; Error?: string };
  if (result.code !== 0 || !info.GoMod) {
    throw new Error(`\`go mod download k8s.io/kubernetes@v${KUBERNETES_VERSION}\` failed: ${info.Error ?? result.stderr.trim()}`);
  }
  return fs.readFile(info.GoMod, 'utf8');
}

/** The modules Kubernetes' go.mod replaces with `./staging/src/<module>`. Exported for its unit test. */
export function stagingModules(goMod: string): string[] {
  const found = new Set<string>();
  for (const match of goMod.matchAll(/^[ \t]*(?:replace[ \t]+)?(\S+)(?:[ \t]+\S+)?[ \t]+=>[ \t]+\.\/staging\/src\/(\S+)[ \t]*$/gm)) {
    if (match[1] === match[2]) found.add(match[1]);
  }
  return [...found].sort();
}

function bundleSpec(binary: BundleBinary, pathNames: string[]): ToolSpec {
  return {
    displayName: binary,
    version: binary === 'etcd' ? ETCD_VERSION : KUBERNETES_VERSION,
    envVar: envVarOf(binary),
    pathNames,
    cacheDir: kubernetesCacheDir,
    binaryName: binary,
    companions: BUNDLE.filter((b) => b !== binary),
    buildMinutes: 15,
    build: async (ctx) => {
      ctx.log(`(the Kubernetes control plane, etcd and kubectl are one build)`);
      await buildBundle(ctx);
    },
    notFound: (cacheDir) =>
      new KubernetesToolNotFoundError(`${binary} was not found.`, [
        `set ${envVarOf(binary)} to an existing ${binary} binary (v${binary === 'etcd' ? ETCD_VERSION : KUBERNETES_VERSION});`,
        ...(pathNames.length > 0 ? [`install ${binary} so it is on PATH;`] : []),
        `or install Go (https://go.dev/dl) and run \`npm run tools kubernetes\`: it builds the control plane, etcd and kubectl once into ${cacheDir} (about 15 minutes on 2 cores).`,
      ]),
  };
}

function goInstallSpec(binary: string, version: string, pkg: string, minutes: number): ToolSpec {
  const cacheDir = (env: NodeJS.ProcessEnv) => path.join(userCacheDir(env), 'tugboat', `${binary}-${version}`);
  return {
    displayName: binary,
    version,
    envVar: envVarOf(binary),
    pathNames: [binary],
    cacheDir,
    binaryName: binary,
    buildMinutes: minutes,
    // GOBIN=tmpDir: `go install` names the binary after the command's directory, which is `output`.
    build: ({ go, tmpDir, env }) => runBuildStep([go, 'install', '-trimpath', '-ldflags', '-s -w', `${pkg}@v${version}`], { env: { ...env, GOBIN: tmpDir } }),
    notFound: (dir) =>
      new KubernetesToolNotFoundError(`${binary} was not found.`, [
        `set ${envVarOf(binary)} to an existing ${binary} binary;`,
        `install ${binary} so it is on PATH;`,
        `or install Go (https://go.dev/dl) and run \`npm run tools ${binary}\`: it builds v${version} once into ${dir} (about ${minutes} minutes).`,
      ]),
  };
}

export const KUBECTL_SPEC = bundleSpec('kubectl', ['kubectl']);
export const KWOK_SPEC = goInstallSpec('kwok', KWOK_VERSION, 'sigs.k8s.io/kwok/cmd/kwok', 4);
export const HELM_SPEC = goInstallSpec('helm', HELM_VERSION, 'helm.sh/helm/v3/cmd/helm', 4);

/**
 * TUGBOAT_KUBECTL_PATH, then `kubectl` on PATH, then the cached build (then a build, unless `build:
 * false`). `sameVersion`: skip PATH (the test suite proves Tugboat against the kubectl it pins).
 */
export function findKubectl(opts: FindToolOptions & { sameVersion?: boolean } = {}): Promise<string> {
  return findTool(opts.sameVersion ? { ...KUBECTL_SPEC, pathNames: [] } : KUBECTL_SPEC, opts);
}

/** TUGBOAT_HELM_PATH, then `helm` on PATH, then the cached build (then a build, unless `build: false`). */
export function findHelm(opts: FindToolOptions = {}): Promise<string> {
  return findTool(HELM_SPEC, opts);
}

export function findKwok(opts: FindToolOptions = {}): Promise<string> {
  return findTool(KWOK_SPEC, opts);
}

export type ControlPlaneBinaries = Record<ControlPlaneBinary, string>;

/**
 * The control plane's binaries. Not looked up on PATH: a distribution's etcd or API server of another
 * version would start, then fail in ways far from their cause; an explicit env var is a deliberate choice.
 */
export async function findControlPlane(opts: FindToolOptions = {}): Promise<ControlPlaneBinaries> {
  const found: Partial<ControlPlaneBinaries> = {};
  // One at a time: the first builds the whole bundle, the rest find it in the cache.
  for (const binary of CONTROL_PLANE) found[binary] = await findTool(bundleSpec(binary, []), opts);
  return found as ControlPlaneBinaries;
}

/** Everything `tugboat dev-cluster` and the executors need, for `npm run tools kubernetes`. */
export async function findKubernetesTools(opts: FindToolOptions = {}): Promise<string> {
  const controlPlane = await findControlPlane(opts);
  const [kubectl, kwok, helm] = await Promise.all([findKubectl(opts), findKwok(opts), findHelm(opts)]);
  return [...Object.values(controlPlane), kubectl, kwok, helm].join(', ');
}
