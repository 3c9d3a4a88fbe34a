/** Who is asking, for the records: user@host. Lazy and safe where the uid has no passwd entry (containers). */
import os from 'node:os';

export function operatorIdentity(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `${user}@${os.hostname()}`;
}
