/**
 * A command that changes the world (a shell `run` or `undo`, a `helm upgrade` or `rollback`) whose
 * worker died keeps running in its own process group. Its retry, or the undo of what it was doing,
 * must not run alongside it: each started command is recorded under `<dataDir>/<executor>/running/`
 * (removed when it ends), and before a service's next such command starts, one still running for
 * that service is waited for. Cancelling the waiting step stops it too. Each executor has its own
 * directory: a service is one executor's at a time, and one executor's data dir is its own to clear.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { abortableSleep } from '../system/sleep';
import { identifyGroup, isGroupAlive, stopGroup, type GroupIdentity } from '../system/process-group';
import { stateKey } from './service-record';
import type { ExecutorContext } from './types';

/** Which command of which service a running group is; the service is its state key. */
interface RunningRecord extends GroupIdentity {
  idempotencyKey: string;
  command: string;
  name: string;
  environment: string;
  service: string;
}

const POLL_MS = 200;

export class RunningCommands {
  private readonly dir: string;

  constructor(dataDir: string, executor: string) {
    this.dir = path.join(dataDir, executor, 'running');
  }

  /**
   * Waits until no earlier recorded command of this service is running. On cancellation meanwhile,
   * stops that command's group (SIGTERM, SIGKILL after graceMs) before giving up.
   */
  async waitForPrevious(ctx: ExecutorContext, graceMs: number): Promise<void> {
    for (const previous of this.recordsOf(ctx)) {
      const line = `waiting for the previous attempt's command (process group ${previous.pgid}) to finish`;
      if (isGroupAlive(previous)) ctx.log(line, { command: previous.command, idempotencyKey: previous.idempotencyKey });
      while (isGroupAlive(previous)) {
        ctx.heartbeat({ line });
        try {
          await abortableSleep(POLL_MS, ctx.signal);
        } catch (err) {
          await stopGroup(previous, graceMs);
          throw err;
        }
      }
      this.forget(previous.idempotencyKey, previous.pgid);
    }
  }

  /**
   * Synchronous, for runProcess's onStart: on disk before anything can look for it. Never throws:
   * the command runs already, and failing here would leave it running unwatched.
   */
  started(ctx: ExecutorContext, command: string, pgid: number): void {
    const record: RunningRecord = { ...identifyGroup(pgid), idempotencyKey: ctx.idempotencyKey, command, ...stateKey(ctx) };
    const file = this.fileOf(ctx.idempotencyKey);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
      fs.renameSync(`${file}.tmp`, file); // whole or absent, never half-written
    } catch (err) {
      ctx.log(`could not record process group ${pgid}: a retry after a crash will not wait for it (${(err as Error).message})`);
    }
  }

  /** The command ended: forget it, unless a later attempt has already recorded its own. */
  forget(idempotencyKey: string, pgid: number): void {
    const file = this.fileOf(idempotencyKey);
    if (readRecord(file)?.pgid === pgid) fs.rmSync(file, { force: true });
  }

  /** The recorded commands of this service; a record whose group ended is removed on the way. */
  private recordsOf(ctx: ExecutorContext): RunningRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((name) => name.endsWith('.json'));
    } catch {
      return []; // nothing ever recorded here
    }
    const key = stateKey(ctx);
    const found: RunningRecord[] = [];
    for (const name of names) {
      const record = readRecord(path.join(this.dir, name));
      if (!record) continue;
      if (!isGroupAlive(record)) this.forget(record.idempotencyKey, record.pgid);
      else if (record.name === key.name && record.environment === key.environment && record.service === key.service) found.push(record);
    }
    return found;
  }

  /** One file per step: readable, and distinct for keys that differ only in unsafe characters. */
  private fileOf(idempotencyKey: string): string {
    const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 12);
    return path.join(this.dir, `${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}.${hash}.json`);
  }
}

function readRecord(file: string): RunningRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RunningRecord>;
    return typeof record.pgid === 'number' && typeof record.idempotencyKey === 'string' ? (record as RunningRecord) : undefined;
  } catch {
    return undefined; // gone meanwhile, or not one of ours
  }
}
