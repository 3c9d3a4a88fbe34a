/**
 * findTool against real temp dirs and tiny fake executables: the search order, the build into the cache,
 * and the build lock. No Go is needed: the specs' builds write a shell script, and `go` is a stand-in.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand, startProcess } from '../system/process';
import { waitFor } from '../../test/support/wait';
import { findTool, ToolNotFoundError, type BuildContext, type ToolSpec } from './find-tool';
import { findTofu, TOFU_VERSION, tofuCacheDir, TofuNotFoundError } from './tofu';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tugboat-find-tool-test-'));
});
afterEach(() => fs.rm(tmp, { recursive: true, force: true }));

async function writeExecutable(file: string, body = 'echo fake'): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** A directory holding a stand-in `go`, for PATH: findTool only needs it to exist unless the spec runs it. */
async function goDir(body = 'exit 0'): Promise<string> {
  const dir = path.join(tmp, 'go-bin');
  await writeExecutable(path.join(dir, 'go'), body);
  return dir;
}

/** A spec whose build writes a script that prints `built`, and which records each build it is asked for. */
function testSpec(): ToolSpec & { builds: BuildContext[] } {
  const builds: BuildContext[] = [];
  return {
    builds,
    displayName: 'the Test Tool',
    version: '9.9.9',
    envVar: 'TEST_TOOL_PATH',
    pathNames: ['tofu', 'terraform'],
    cacheDir: (env) => path.join(env.XDG_CACHE_HOME ?? '/nonexistent', 'test-tool-9.9.9'),
    binaryName: 'tool',
    buildMinutes: 1,
    async build(ctx) {
      builds.push(ctx);
      await writeExecutable(ctx.output, 'echo built');
    },
    notFound: (cacheDir) => new ToolNotFoundError('The Test Tool was not found.', ['set TEST_TOOL_PATH;', `install Go and it is built into ${cacheDir}.`]),
  };
}

function envWith(pathDirs: string[]): NodeJS.ProcessEnv {
  return { PATH: pathDirs.join(path.delimiter), XDG_CACHE_HOME: path.join(tmp, 'cache') };
}

/** The PID of a process that has exited (and been reaped), so nobody owns it now. */
async function deadPid(): Promise<number> {
  const child = startProcess(['true']);
  await child.exited;
  return child.pid;
}

describe('findTool: where it looks', () => {
  it('takes the env var over PATH and the cache', async () => {
    const explicit = await writeExecutable(path.join(tmp, 'elsewhere', 'my-tofu'));
    const binDir = path.join(tmp, 'bin');
    await writeExecutable(path.join(binDir, 'tofu'));
    const spec = testSpec();
    const env = { ...envWith([binDir]), TEST_TOOL_PATH: explicit };
    await writeExecutable(path.join(spec.cacheDir(env), 'tool'));
    await expect(findTool(spec, { env })).resolves.toBe(explicit);
  });

  it('rejects an env var pointing at a file that is not executable, naming the variable and the path', async () => {
    const notExecutable = path.join(tmp, 'tofu.txt');
    await fs.writeFile(notExecutable, 'not a program');
    const env = { ...envWith([]), TEST_TOOL_PATH: notExecutable };
    await expect(findTool(testSpec(), { env })).rejects.toThrow(
      `TEST_TOOL_PATH is set to ${notExecutable}, which is not an executable file.`,
    );
  });

  it('prefers the first name on PATH wherever it is, then the next name (tofu before terraform)', async () => {
    const early = path.join(tmp, 'early');
    const late = path.join(tmp, 'late');
    await writeExecutable(path.join(early, 'terraform'));
    await writeExecutable(path.join(late, 'tofu'));
    await expect(findTofu({ env: envWith([early, late]) })).resolves.toBe(path.join(late, 'tofu'));
    await expect(findTofu({ env: envWith([early]) })).resolves.toBe(path.join(early, 'terraform'));
  });

  it('ignores empty PATH entries rather than searching the working directory', async () => {
    const cwdWithTool = path.join(tmp, 'cwd');
    await writeExecutable(path.join(cwdWithTool, 'tofu'));
    const binDir = path.join(tmp, 'bin');
    await writeExecutable(path.join(binDir, 'terraform'));
    const previousCwd = process.cwd();
    process.chdir(cwdWithTool);
    try {
      const env = envWith(['', '/nonexistent', '', binDir, '']);
      await expect(findTool(testSpec(), { env })).resolves.toBe(path.join(binDir, 'terraform'));
    } finally {
      process.chdir(previousCwd);
    }
  });

  it('uses the cached build when nothing is on PATH, without building', async () => {
    const spec = testSpec();
    const env = envWith([await goDir()]);
    const cached = await writeExecutable(path.join(spec.cacheDir(env), 'tool'));
    await expect(findTool(spec, { env })).resolves.toBe(cached);
    expect(spec.builds).toHaveLength(0);
  });
});

describe('findTool: building', () => {
  it('builds into a temp dir in the cache when nothing is found, then renames the result into place', async () => {
    const spec = testSpec();
    const env = envWith([await goDir()]);
    const cacheDir = spec.cacheDir(env);
    const logs: string[] = [];

    const found = await findTool(spec, { env, log: (msg) => logs.push(msg) });

    expect(found).toBe(path.join(cacheDir, 'tool'));
    expect((await runCommand([found])).stdout.trim()).toBe('built');
    expect(spec.builds).toHaveLength(1);
    const [ctx] = spec.builds;
    expect(ctx.go).toBe(path.join(tmp, 'go-bin', 'go'));
    expect(path.dirname(ctx.tmpDir)).toBe(cacheDir); // same file system, so the rename is atomic
    expect(ctx.output).toBe(path.join(ctx.tmpDir, 'tool'));
    expect(await fs.readdir(cacheDir)).toEqual(['tool']); // no temp dir, no lock left behind
    expect(logs[0]).toBe(
      `Building the Test Tool v9.9.9 from source with Go (one time, about 1 minutes on 2 cores; cached in ${cacheDir})…`,
    );
    expect(logs[1]).toMatch(new RegExp(`^Built the Test Tool in \\d+ s: ${found}$`));
  });

  it('throws the spec\'s not-found error with its hints when there is no `go` (or building is off)', async () => {
    const spec = testSpec();
    const noGo = envWith([path.join(tmp, 'empty')]);
    const error = await findTool(spec, { env: noGo }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ToolNotFoundError);
    expect((error as Error).message).toBe(
      'The Test Tool was not found. Any of these works:\n' +
        '  - set TEST_TOOL_PATH;\n' +
        `  - install Go and it is built into ${spec.cacheDir(noGo)}.`,
    );
    await expect(findTool(spec, { env: envWith([await goDir()]), build: false })).rejects.toBeInstanceOf(ToolNotFoundError);
    expect(spec.builds).toHaveLength(0);
  });

  it('takes over a lock left by a process that died', async () => {
    const spec = testSpec();
    const env = envWith([await goDir()]);
    const cacheDir = spec.cacheDir(env);
    await fs.mkdir(cacheDir, { recursive: true });
    await fs.writeFile(path.join(cacheDir, '.build.lock'), String(await deadPid()));

    await expect(findTool(spec, { env })).resolves.toBe(path.join(cacheDir, 'tool'));
    expect(spec.builds).toHaveLength(1);
    expect(await fs.readdir(cacheDir)).toEqual(['tool']);
  });

  it('waits while a live process holds the lock, then returns what that process built', async () => {
    const spec = testSpec();
    const env = envWith([await goDir()]);
    const cacheDir = spec.cacheDir(env);
    await fs.mkdir(cacheDir, { recursive: true });
    const otherBuilder = startProcess(['sleep', '600']);
    try {
      await fs.writeFile(path.join(cacheDir, '.build.lock'), String(otherBuilder.pid));
      const logs: string[] = [];
      const finding = findTool(spec, { env, log: (msg) => logs.push(msg) });

      await waitFor(() => logs.some((msg) => msg.startsWith(`Waiting for process ${otherBuilder.pid}, which is building the Test Tool`)), {
        what: 'findTool to wait for the other builder',
      });
      const theirs = await writeExecutable(path.join(cacheDir, 'tool'), 'echo theirs');

      await expect(finding).resolves.toBe(theirs);
      expect(spec.builds).toHaveLength(0);
      expect(await fs.readFile(path.join(cacheDir, '.build.lock'), 'utf8')).toBe(String(otherBuilder.pid)); // not ours to remove
    } finally {
      await otherBuilder.stop({ signal: 'SIGKILL' });
    }
  });
});

describe('findTofu', () => {
  it('takes TUGBOAT_TOFU_PATH first', async () => {
    const explicit = await writeExecutable(path.join(tmp, 'opt', 'tofu'));
    const binDir = path.join(tmp, 'bin');
    await writeExecutable(path.join(binDir, 'tofu'));
    await expect(findTofu({ env: { ...envWith([binDir]), TUGBOAT_TOFU_PATH: explicit } })).resolves.toBe(explicit);
  });

  it('builds OpenTofu from a wrapper module with go mod tidy and go build, into the versioned cache', async () => {
    const callsFile = path.join(tmp, 'go-calls');
    const goModCopy = path.join(tmp, 'go.mod.seen');
    // Records each call with its directory and GOFLAGS; `go build -o FILE` "builds" FILE.
    const go = await goDir(
      `echo "$PWD|$GOFLAGS|$*" >> "${callsFile}"\n` +
        `/bin/cp go.mod "${goModCopy}"\n` +
        `if [ "$1" = build ]; then printf '#!/bin/sh\\necho tofu\\n' > "$3"; /bin/chmod +x "$3"; fi`,
    );
    const env = envWith([go]);
    const cacheDir = tofuCacheDir(env);

    await expect(findTofu({ env })).resolves.toBe(path.join(cacheDir, 'tofu'));

    expect(cacheDir).toBe(path.join(tmp, 'cache', 'tugboat', `tofu-${TOFU_VERSION}`));
    const buildDir = path.join(cacheDir, `.build-${process.pid}`);
    expect((await fs.readFile(callsFile, 'utf8')).trim().split('\n')).toEqual([
      `${buildDir}|-mod=mod|mod tidy`,
      `${buildDir}|-mod=mod|build -o ${path.join(buildDir, 'tofu')} github.com/opentofu/opentofu/cmd/tofu`,
    ]);
    const goMod = await fs.readFile(goModCopy, 'utf8');
    expect(goMod).toContain(`require github.com/opentofu/opentofu v${TOFU_VERSION}\n`);
    expect(goMod).toContain('replace github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828\n');
    expect(await fs.readdir(cacheDir)).toEqual(['tofu']);
  });

  it('shows the failing go command and its error, and leaves nothing in the cache', async () => {
    const env = envWith([await goDir('echo "go: github.com/opentofu/opentofu@v1.12.6: not found" >&2; exit 1')]);
    await expect(findTofu({ env })).rejects.toThrow(/^`go mod tidy` failed \(exit 1\):\ngo: github.com\/opentofu\/opentofu@v1.12.6: not found$/);
    expect(await fs.readdir(tofuCacheDir(env))).toEqual([]);
  });

  it('names every way to get it when there is none and no Go', async () => {
    const env = envWith([path.join(tmp, 'empty')]);
    const error = await findTofu({ env }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TofuNotFoundError);
    for (const hint of ['TUGBOAT_TOFU_PATH', 'https://opentofu.org/docs/intro/install/', 'Terraform', 'on PATH', 'install Go',
      `v${TOFU_VERSION}`, tofuCacheDir(env), 'about 5 minutes']) {
      expect((error as Error).message).toContain(hint);
    }
  });
});

describe('onceFound', () => {
  it('looks once and keeps what it found, but looks again after a failure', async () => {
    const { onceFound } = await import('./find-tool');
    const answers = [Promise.reject(new Error('not yet')), Promise.resolve('/bin/tool'), Promise.resolve('/other/tool')];
    answers[0].catch(() => undefined);
    let calls = 0;
    const binary = onceFound(() => answers[calls++]);
    await expect(binary()).rejects.toThrow('not yet');
    expect(await binary()).toBe('/bin/tool');
    expect(await binary()).toBe('/bin/tool');
    expect(calls).toBe(2);
  });
});
