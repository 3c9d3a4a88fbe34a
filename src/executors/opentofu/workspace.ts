/**
 * One step's working copy: the module copied into a private directory, pointed at its state,
 * initialised, used for one tofu operation and removed afterwards. Resolved secrets exist only in
 * the tfvars file (and the saved plan) for the duration of that operation.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SecretResolutionError } from '../../secrets/resolve';
import { PermanentDeployError } from '../errors';
import type { ExecutorContext } from '../types';
import { BACKEND_OVERRIDE_FILE, copyModule, declaresBackend, PLAN_FILE, TFVARS_FILE, type CopiedModule } from './module-files';
import type { ShowJson } from './show-json';
import type { TofuCli } from './tofu-cli';

export interface WorkingCopy extends CopiedModule {
  dir: string;
  /** Where Tugboat keeps the state; null when the module declares its own backend, or the state is in PostgreSQL. */
  statePath: string | null;
}

/** Where Tugboat keeps a service's state when its module declares no backend. */
export interface KeptState {
  /** The backend override that points the module at it (see localBackendOverride, pgBackendOverride). */
  backendOverride: string;
  /** The local state file; null when the state is not a file of this machine (the `pg` backend). */
  statePath: string | null;
  /**
   * Run before `tofu init` when the module uses this state (declares no backend of its own): may
   * refuse by throwing; returns what tofu's environment needs for this backend (the pg backend's
   * PG_CONN_STR), which a module with its own backend therefore never gets.
   */
  prepare?: () => Promise<NodeJS.ProcessEnv>;
}

export interface WorkspaceOptions {
  ctx: ExecutorContext;
  tofu: TofuCli;
  /** Where this deployment's service and step keeps its working copies: a new one per use. */
  workDirs: { dir: string; prefix: string };
  /** The state Tugboat keeps for this service and environment. */
  state: KeptState;
}

export class Workspace {
  constructor(private readonly opts: WorkspaceOptions) {}

  /** Plan and apply the module with these vars; the state after it, and the copy as applied (for the snapshot). */
  apply(moduleDir: string, vars: Record<string, unknown>, afterApply: (wc: WorkingCopy, show: ShowJson) => Promise<void>) {
    return this.inWorkingCopy(moduleDir, async (wc, tofu) => {
      await this.withVars(wc.dir, vars, async () => {
        await tofu.plan(wc.dir, PLAN_FILE);
        await tofu.apply(wc.dir, PLAN_FILE);
      });
      await this.removeEarlierCopies(wc.dir);
      const show = await tofu.show(wc.dir);
      await afterApply(wc, show);
      return { wc, show };
    });
  }

  /** Destroy everything in the state, using the module (and vars) that created it. */
  destroy(moduleDir: string, vars: Record<string, unknown>): Promise<void> {
    return this.inWorkingCopy(moduleDir, async (wc, tofu) => {
      await this.withVars(wc.dir, vars, () => tofu.destroy(wc.dir));
      await this.removeEarlierCopies(wc.dir);
    });
  }

  /** The state as JSON (read through the module, so a module's own backend is honoured). */
  show(moduleDir: string): Promise<ShowJson> {
    return this.inWorkingCopy(moduleDir, (wc, tofu) => tofu.show(wc.dir));
  }

  /** `use` runs tofu through the TofuCli it is given: with the kept state's environment when the module uses that state. */
  private async inWorkingCopy<T>(moduleDir: string, use: (wc: WorkingCopy, tofu: TofuCli) => Promise<T>): Promise<T> {
    const { workDirs, state } = this.opts;
    let { tofu } = this.opts;
    await fs.mkdir(workDirs.dir, { recursive: true });
    const workDir = await fs.mkdtemp(path.join(workDirs.dir, workDirs.prefix));
    try {
      const copied = await copyModule(moduleDir, workDir);
      const ownBackend = await declaresBackend(workDir);
      if (!ownBackend) {
        if (state.prepare) tofu = tofu.withEnv(await state.prepare());
        if (state.statePath) await fs.mkdir(path.dirname(state.statePath), { recursive: true });
        await fs.writeFile(path.join(workDir, BACKEND_OVERRIDE_FILE), state.backendOverride);
      }
      const wc: WorkingCopy = { ...copied, dir: workDir, statePath: ownBackend ? null : state.statePath };
      await tofu.init(wc.dir);
      return await use(wc, tofu);
    } finally {
      // Also after a failure or a cancellation: nothing of a step outlives it but state and snapshot.
      await fs.rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Copies an earlier attempt of this step left behind (its worker died; its tofu may have run on,
   * holding the state lock, with the tfvars beside it) are done with once this attempt has got
   * the lock and changed the state. Never earlier: that tofu may still be using its copy.
   */
  private async removeEarlierCopies(own: string): Promise<void> {
    const { dir, prefix } = this.opts.workDirs;
    const earlier = (await fs.readdir(dir)).filter((name) => name.startsWith(prefix) && path.join(dir, name) !== own);
    await Promise.all(earlier.map((name) => fs.rm(path.join(dir, name), { recursive: true, force: true })));
  }

  /** The vars (secrets resolved now) in an auto-loaded tfvars file, removed with the plan right after `run`. */
  private async withVars<T>(dir: string, vars: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
    const files = [TFVARS_FILE, PLAN_FILE].map((name) => path.join(dir, name));
    try {
      const resolved = await this.opts.ctx.secrets.resolveDeep(vars).catch((err: unknown) => {
        // A secret that cannot be read now will not be readable on the next attempt either.
        throw err instanceof SecretResolutionError ? new PermanentDeployError(err.message, { cause: err }) : err;
      });
      await fs.writeFile(files[0], JSON.stringify(resolved), { mode: 0o600 });
      return await run();
    } finally {
      await Promise.all(files.map((file) => fs.rm(file, { force: true })));
    }
  }
}

/** HCL for a local backend at `statePath` (JSON string escapes are HCL's; `${` and `%{` must be doubled). */
export function localBackendOverride(statePath: string): string {
  const quoted = JSON.stringify(statePath).replace(/([$%])\{/g, '$1$1{');
  return `terraform {\n  backend "local" {\n    path = ${quoted}\n  }\n}\n`;
}
