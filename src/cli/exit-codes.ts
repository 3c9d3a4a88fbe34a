/** The CLI's exit codes: scripts and CI pipelines branch on these. */
export const ExitCode = {
  ok: 0,
  /** The deployment failed. */
  failed: 1,
  /** Bad input: a manifest that does not validate, unknown flags, a missing argument. */
  badInput: 2,
  /** Refused: the environment is locked by a running deployment, or the request makes no sense now. */
  refused: 3,
  /** The rollback is blocked, the deployment is HALTED, or orphaned resources are left: a person must look. */
  needsAttention: 4,
  /**
   * Temporal could not be reached or refused the connection (address, TLS, API key): nothing was
   * started or changed, so a script may retry, unlike a failed deployment (1).
   */
  unreachable: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one readable message (no stack trace) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Paused by an operator and baking are going well too: nothing failed. */
const GOING_WELL = ['VALIDATING', 'DEPLOYING', 'PAUSED', 'HEALTH_CHECKING', 'BAKING', 'SUCCEEDED'];

/** The exit code a deployment's state deserves: 0 while it goes well or succeeded. */
export function exitCodeForStatus(status: { phase: string; orphans: unknown[]; orphan_check_error?: string | null }): ExitCode {
  // HALTED waits for a person as a blocked rollback does; PARTIAL (some services failed) is a failure.
  if (status.phase === 'ROLLBACK_BLOCKED' || status.phase === 'HALTED' || status.orphans.length > 0 || status.orphan_check_error) {
    return ExitCode.needsAttention;
  }
  return GOING_WELL.includes(status.phase) ? ExitCode.ok : ExitCode.failed;
}
