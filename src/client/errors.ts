/** Errors the client raises, each mapped to one CLI exit code. */
export class EnvironmentLockedError extends Error {
  constructor(
    readonly workflowId: string,
    readonly runningDeploymentId: string | undefined,
  ) {
    super(
      `${workflowId} is already deploying${runningDeploymentId ? ` (${runningDeploymentId})` : ''}; ` +
        'wait for it to finish (tugboat status) or stop it before starting another',
    );
    this.name = 'EnvironmentLockedError';
  }
}

export class DeploymentNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`no deployment "${ref}": use a deployment ID (dep-…) or <name>/<environment>`);
    this.name = 'DeploymentNotFoundError';
  }
}
