/**
 * Which helm failures are worth retrying. helm exits 1 for everything, so the evidence is its
 * error text. Helm's own conditions come first; whatever else it relays from the Kubernetes API
 * (unreachable, throttled, conflicts, forbidden, invalid objects) is judged as kubectl's errors are.
 */
import { PermanentDeployError, TransientDeployError } from '../errors';
import { classifyKubeFailure } from '../kubectl/classify';

/**
 * Another helm holds the release (pending-install/upgrade/rollback). The executor first waits for
 * a previous attempt's helm and repairs a release a killed helm left pending, so this is someone
 * else's operation: it passes.
 */
export class ReleaseBusyError extends TransientDeployError {}
/** helm's reachability check failed before it touched anything. */
export class ClusterUnreachableError extends TransientDeployError {}
/** `--wait` ran out of time: the release's objects did not become ready (unschedulable, image pull, crash loop). */
export class ReleaseNotReadyError extends PermanentDeployError {}
/**
 * A rollback's or an uninstall's `--wait` ran out of time: what it restored or removed has not
 * settled yet. Retried with `rollback_retry` (as kubectl's restore), then the rollback blocks for an operator.
 */
export class UndoNotSettledError extends TransientDeployError {}
/** The chart cannot be loaded or rendered, or its values cannot be read: the same chart fails the same way. */
export class ChartError extends PermanentDeployError {}

const BUSY = /another operation \(install\/upgrade\/rollback\) is in progress/i;
const UNREACHABLE = /Kubernetes cluster unreachable/i;
/** How a `--wait` that ran out of time ends: helm ≥ 3.15 says the former, older ones the latter. */
const WAIT_EXPIRED = /context deadline exceeded|timed out waiting for the condition/i;
/** The same words from an API request that timed out (`Get "https://…": context deadline exceeded`) are no verdict on the release. */
const REQUEST_TIMEOUT = /"https?:\/\/|dial tcp|i\/o timeout|TLS handshake/i;
/** Discovery failing for a moment also says "unable to build kubernetes objects": no verdict on the chart. */
const API_HICCUP = /unable to retrieve the complete list of server APIs|currently unable to handle the request|dial tcp|connection refused/i;
const CHART =
  /failed to load chart|Chart\.yaml file is missing|path "[^"]*" not found|chart (?:directory|file) .* not found|parse error|YAML parse error|error converting YAML to JSON|template: |execution error at|unable to build kubernetes objects from (?:release|new release) manifest|failed parsing|values (?:don't|do not) meet the specifications of the schema|cannot load values|error reading .*values/i;

export interface HelmExit {
  code: number | null;
  signal: string | null;
}

/**
 * The error for a failed helm command. `message` says what ran and why (see helm-cli.ts); `errorText`
 * is helm's `Error:` text alone; `waited`: the command ran with `--wait`, to deploy (then a deadline
 * is the release's fault) or to undo (then it is worth waiting longer).
 */
export function classifyHelmFailure(message: string, exit: HelmExit, errorText: string, waited: 'deploy' | 'undo' | false): Error {
  if (BUSY.test(errorText)) return new ReleaseBusyError(message);
  if (UNREACHABLE.test(errorText)) return new ClusterUnreachableError(message);
  if (waited && WAIT_EXPIRED.test(errorText) && !REQUEST_TIMEOUT.test(errorText)) {
    return waited === 'deploy' ? new ReleaseNotReadyError(message) : new UndoNotSettledError(message);
  }
  if (CHART.test(errorText) && !API_HICCUP.test(errorText)) return new ChartError(message);
  return classifyKubeFailure(message, exit, errorText);
}

/** helm's `release: not found` (status, history, uninstall, rollback of a name it has no record of). */
export function isReleaseNotFound(errorText: string): boolean {
  return /release: not found/i.test(errorText);
}
