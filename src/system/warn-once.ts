/**
 * A warning about the process's settings on stderr, once per process however often it is found:
 * settings are read again for each client, worker and connection a command opens.
 */
const warned = new Set<string>();

export function warnOnce(line: string): void {
  if (warned.has(line)) return;
  warned.add(line);
  process.stderr.write(`warning: ${line}\n`);
}
