/**
 * Command-line arguments of the project's runners (npm run bench, npm run chaos): a UsageError
 * thrown while parsing prints the problem and the usage and exits 2; one without a message is
 * --help, which prints the usage and exits 0.
 */
export class UsageError extends Error {}

/** The parsed options, or the exit code after the problem and the usage were printed. */
export function parseOrExplain<T>(parse: () => T, usage: string): { ok: true; opts: T } | { ok: false; exitCode: number } {
  try {
    return { ok: true, opts: parse() };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message ? `${err.message}\n` : ''}${usage}\n`);
    return { ok: false, exitCode: err.message ? 2 : 0 };
  }
}
