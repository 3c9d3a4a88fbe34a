/** Ctrl-C (or SIGTERM) as a promise: commands stop watching and clean up, never cancel a deployment. */
export function onInterrupt(): Promise<void> {
  return new Promise((resolve) => {
    const handler = () => {
      process.stderr.write('\ninterrupted: detaching (the deployment is not cancelled)\n');
      resolve();
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
}

/** Ctrl-C or SIGTERM for a long-running command (a server) that simply stops on it. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
