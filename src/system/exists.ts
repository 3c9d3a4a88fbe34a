import fs from 'node:fs/promises';

/** Whether a path exists (any kind of entry); never throws. */
export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
