/**
 * Parsing JSON that a tool or a script printed. `JSON.parse`'s own messages quote the text around
 * the error, and that text may be anything: a state document holding the values a resource keeps,
 * a script's output with a secret in it. These messages give the position only.
 */

/** The text is not JSON; the message says where, never what. */
export class InvalidJsonError extends Error {}

export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const where = /position \d+|line \d+ column \d+/.exec((err as Error).message)?.[0];
    throw new InvalidJsonError(`it is not valid JSON${where ? ` (at ${where})` : ''}`);
  }
}
