/**
 * The two kinds of failure an executor may report. The executor knows its world (a 503 from a
 * cloud API is worth retrying, a 422 is not); the activity maps these onto Temporal failure types
 * and the workflow only reads the type.
 */
export class DeployError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Worth retrying with backoff: throttling, timeouts, a dependency still converging. */
export class TransientDeployError extends DeployError {}

/** Retrying will not help: bad configuration, a rejected change, a missing permission. */
export class PermanentDeployError extends DeployError {}
