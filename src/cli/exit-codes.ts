/** The CLI's exit codes: scripts and CI pipelines branch on these. */
export const ExitCode = {
  ok: 0,
  /** The deployment failed. */
  failed: 1,
  /** Bad input: a manifest that does not validate, unknown flags, a missing argument. */
  badInput: 2,
  /** Refused: the environment is locked by a running deployment. */
  refused: 3,
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
