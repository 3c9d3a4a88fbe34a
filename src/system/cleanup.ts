/**
 * Undo actions run in reverse order of setup, each one even if another failed: how a command or
 * script that starts several things (server, cloud, worker) stops exactly what it started.
 */
export class CleanupStack {
  private readonly actions: Array<() => Promise<unknown> | unknown> = [];

  push(action: () => Promise<unknown> | unknown): void {
    this.actions.push(action);
  }

  /** Runs every action, last first; returns the errors (already reported by the caller, or not). */
  async run(): Promise<unknown[]> {
    const errors: unknown[] = [];
    while (this.actions.length > 0) {
      try {
        await this.actions.pop()!();
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }
}
