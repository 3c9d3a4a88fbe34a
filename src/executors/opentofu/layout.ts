/**
 * Where the opentofu executor keeps its files under Tugboat's data dir. One state per
 * (deployment name, environment, service), so two services never share a state or a lock;
 * one working copy per attempt of a step, so two steps never share a `.terraform` and a retry never
 * pulls the directory from under a tofu that a dead worker left running.
 */
import path from 'node:path';
import type { ServiceStateKey } from '../../state/types';

export class OpentofuLayout {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'opentofu');
  }

  /** The state Tugboat keeps for a module that declares no backend of its own. */
  statePath(key: ServiceStateKey): string {
    return path.join(this.root, safeSegment(`${key.name}.${key.environment}`), safeSegment(key.service), 'terraform.tfstate');
  }

  /**
   * Where one step keeps its private working copies (the module, the backend override, the tfvars,
   * `.terraform`): one per attempt, named `<prefix><random>` inside `dir`.
   */
  workDirs(deploymentId: string, service: string, step: string): { dir: string; prefix: string } {
    return { dir: this.deploymentWorkDir(deploymentId), prefix: `${safeSegment(`${service}-${step}`)}.` };
  }

  /** Every working copy of one deployment's steps. */
  deploymentWorkDir(deploymentId: string): string {
    return path.join(this.root, 'work', safeSegment(deploymentId));
  }

  /** A module exactly as it was applied, named by the hash of its content. */
  snapshotDir(hash: string): string {
    return path.join(this.root, 'snapshots', safeSegment(hash));
  }

  /** The CLI config tofu reads unless the worker names its own (TF_CLI_CONFIG_FILE). */
  get cliConfigFile(): string {
    return path.join(this.root, 'tofurc');
  }
}

/** A path segment that stays one segment: no separators, never `.` or `..`. */
function safeSegment(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^\.+$/.test(safe) ? safe.replace(/\./g, '_') : safe;
}
