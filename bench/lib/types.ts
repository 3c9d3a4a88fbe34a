/**
 * The contract between the bench runner (bench/run.ts) and its scenarios (bench/scenarios/*.ts).
 * A scenario gets a running stack (dev server, simulated cloud, one worker process) through a
 * ScenarioContext and returns figures: numbers with a unit and, where issue 12 sets one, a target.
 * The runner prints them as a table and writes them to bench/results/<date>.json.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';

export type TargetOp = '<=' | '>=' | '<';

export interface Target {
  op: TargetOp;
  value: number;
}

export interface Figure {
  /** Stable id, unique across all scenarios: `<scenario id>.<name>`, e.g. '3.overhead_p50_ms'. */
  key: string;
  /** One line for the table. */
  label: string;
  /** NaN when it could not be measured (then `note` says why, and the figure counts as failed). */
  value: number;
  /** 'ms', 's', 'ratio', 'x', 'events', 'bytes', 'MB', 'count', … */
  unit: string;
  target?: Target;
  note?: string;
}

export interface ScenarioResult {
  figures: Figure[];
  /** Anything worth keeping in the JSON beside the figures (sizes, seeds, raw samples, errors). */
  details?: Record<string, unknown>;
}

/** Each bench/scenarios/<name>.ts exports `scenario: Scenario`; bench/scenarios/index.ts lists them. */
export interface Scenario {
  /** '1'..'8': what `--only` selects. */
  id: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** Samples a process's resident set size (/proc/<pid>/status VmRSS) every 200 ms. */
export interface RssSampler {
  /** Forget the peak so far (start of a measurement). */
  reset(): void;
  /** Highest VmRSS seen since the last reset, in bytes (includes a sample taken now). */
  peakBytes(): number;
  /** The kernel's own high-water mark (VmHWM) for the process's whole life, in bytes. */
  hwmBytes(): number;
  /** VmRSS now, in bytes. */
  currentBytes(): number;
}

export interface DeployOptions {
  /**
   * Deploy through the spawned real CLI (`node bin/tugboat.js deploy <file>`, following to the
   * end) instead of the client library. Default false: started with startDeployment.
   */
  follow?: boolean;
  /** false skips the client-side preflight (a round trip to the worker); default: preflight, as the CLI does. */
  preflight?: boolean;
  /** Give up waiting for the end after this long (default 45 minutes). */
  timeoutMs?: number;
}

export interface DeployOutcome {
  /** The deployment workflow's own start → close, from describe() (no client-side time in it). */
  wallMs: number;
  /** The workflow's result (its return value); undefined when it did not complete. */
  result: unknown;
  /** The result's phase ('SUCCEEDED', …), or the workflow's close status when it has no result. */
  phase: string;
  handle: WorkflowHandle;
  /** The first run of the deployment workflow (histories: runChain(client, handle.workflowId, runId)). */
  runId: string;
  /** How many runs the deployment took (more than 1 when it continued as new). */
  runs: number;
  /** follow: true only: the spawned CLI's own wall time (spawn to exit), exit, and the tails of its output. */
  cli?: { wallMs: number; code: number | null; signal: string | null; stdoutLines: number; stdoutTail: string; stderrTail: string };
}

export interface HistoryStats {
  events: number;
  /**
   * Sum over events of the protobuf-encoded size of each HistoryEvent
   * (temporal.api.history.v1.HistoryEvent.encode(event).length): what the server stores per event.
   */
  bytes: number;
  history: History;
}

export interface ScenarioContext {
  client: Client;
  /** The dev server the runner started (host:port, namespace 'default'). */
  temporalAddress: string;
  taskQueue: string;
  simCloudUrl: string;
  /** The worker process (`tugboat worker`), one for the whole run. */
  worker: { pid: number; rss: RssSampler };
  /** Validates and deploys a raw manifest document (e.g. from bench/lib/generate manifestOf), waits for the end. */
  deploy(rawManifest: unknown, opts?: DeployOptions): Promise<DeployOutcome>;
  /** Fetches a workflow's full history (by handle or by workflow id + run id) and measures it. */
  history(target: WorkflowHandle | { workflowId: string; runId?: string }): Promise<HistoryStats>;
  /** --smoke: every size shrunk so the scenario runs in seconds (figures well-formed, values meaningless). */
  smoke: boolean;
  /** A line of progress on stderr, prefixed with the scenario id. */
  log(msg: string): void;
  /** Figures of scenarios that already ran in this process (e.g. 8 compares with 5's wall time). */
  earlier: Map<string, ScenarioResult>;
  /** A temp directory for this run (removed at the end): manifests written for the CLI, etc. */
  tmpDir: string;
}
