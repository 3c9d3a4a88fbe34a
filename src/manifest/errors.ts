/**
 * How manifest problems are reported: a path into the document plus a message that says what is
 * wrong and how to fix it. Pure: shared by the CLI, the worker and workflow code.
 */

export interface ManifestIssue {
  /** Where in the document, e.g. `deployment.services[3].dependencies[0]`; `manifest` for the whole. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['deployment', 'services', 3, 'name']` → `deployment.services[3].name`; `[]` → `manifest`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? 'manifest' : out;
}

/** One issue per line, `<path>: <message>`. */
export function formatIssues(issues: readonly ManifestIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n');
}

/** Thrown by the *OrThrow helpers and the file loader; carries every issue, not just the first. */
export class ManifestError extends Error {
  readonly issues: ManifestIssue[];

  constructor(issues: readonly ManifestIssue[]) {
    super(formatIssues(issues));
    this.name = 'ManifestError';
    this.issues = [...issues];
  }
}
