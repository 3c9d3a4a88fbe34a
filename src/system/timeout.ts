/**
 * Waits for `work` at most `ms`: past that, rejects with a TimeoutError naming what did not answer.
 * The work itself is not stopped (it may settle later, unobserved): use it where giving up on the
 * answer is safe, such as a read that has a fallback.
 */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms}ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
