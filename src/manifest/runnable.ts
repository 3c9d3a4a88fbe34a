/**
 * Rules a manifest must meet to *run*, beyond its shape: values each field allows on its own but
 * that Temporal would reject in combination or at their extremes (a retry interval above its cap,
 * a zero timeout, a manifest too large for workflow history). The schema accepts a manifest only
 * if every one holds, so nothing `tugboat plan` passes can wedge a deployment later.
 * Pure: runs in the CLI and in workflow code.
 */
import { MAX_MANIFEST_BYTES, utf8Length } from '../api/temporal-limits';
import { formatPath, type ManifestIssue, type PathSegment } from './errors';
import { valueAt } from './zod-issues';
import { parseDuration, type Duration, type Manifest, type RetrySpec } from './schema';

/** An image reference with a digest is about 150 characters. */
export const MAX_VERSION_CHARS = 256;

/** Longer than this is surely a typo (and far past what any step or probe should wait). */
export const MAX_DURATION_MS = 30 * 24 * 3_600_000;

export function checkRunnable(manifest: Manifest, raw: unknown): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const add = (path: PathSegment[], message: string) => issues.push({ path: formatPath(path), message });
  const written = (path: PathSegment[]) => valueAt(raw, path) !== undefined;

  /** Checks bounds; returns the milliseconds (NaN when out of bounds, so no rule builds on it). */
  const duration = (path: PathSegment[], value: Duration, min: number, why: string): number => {
    const ms = parseDuration(value);
    const shown = `${JSON.stringify(value)}${written(path) ? '' : ' (the default)'}`;
    if (ms < min) {
      add(path, `${shown} is too short: ${why}; use at least ${min === 1 ? '1ms' : `${min}ms`} (e.g. "30s")`);
      return NaN;
    }
    if (ms > MAX_DURATION_MS) {
      add(path, `${shown} is longer than 30 days, surely a mistake; use at most "720h"`);
      return NaN;
    }
    return ms;
  };

  const retry = (path: PathSegment[], spec: RetrySpec) => {
    const initial = duration([...path, 'initial_interval'], spec.initial_interval, 1, 'the first retry waits this long');
    const maximum = duration([...path, 'maximum_interval'], spec.maximum_interval, 1, 'it caps the wait between retries');
    if (initial > maximum) {
      const max = `${JSON.stringify(spec.maximum_interval)}${written([...path, 'maximum_interval']) ? '' : ', the default'}`;
      add(
        [...path, 'initial_interval'],
        `${JSON.stringify(spec.initial_interval)} is longer than maximum_interval (${max}), which caps every wait; ` +
          `lower initial_interval or set maximum_interval to at least ${JSON.stringify(spec.initial_interval)}`,
      );
    }
  };

  manifest.deployment.services.forEach((service, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['deployment', 'services', i, ...rest];
    if (service.version !== undefined && service.version.length > MAX_VERSION_CHARS) {
      add(at('version'), `must have at most ${MAX_VERSION_CHARS} characters, got ${service.version.length}; a tag, digest or module ref fits`);
    }
    duration(at('timeout'), service.timeout, 1, 'it bounds each attempt of apply and verify');
    duration(at('verify_timeout'), service.verify_timeout, 0, 'it is how long verify keeps probing');
    retry(at('retry'), service.retry);
    retry(at('rollback_retry'), service.rollback_retry);
    if (service.simulate) duration(at('simulate', 'duration'), service.simulate.duration, 0, 'it cannot be negative');
    if (service.health_check) {
      duration(at('health_check', 'interval'), service.health_check.interval, 1, 'probes would follow each other with no pause');
      duration(at('health_check', 'timeout'), service.health_check.timeout, 1, 'it bounds each probe');
    }
  });
  manifest.deployment.health_checks.forEach((check, i) => {
    duration(['deployment', 'health_checks', i, 'timeout'], check.timeout, 1, 'it bounds each probe');
  });

  // Checked last and only when the rest holds: the size counts defaults, which are now final.
  if (issues.length === 0) {
    const bytes = utf8Length(JSON.stringify(manifest));
    if (bytes > MAX_MANIFEST_BYTES) {
      add(
        ['deployment'],
        `the manifest is ${Math.ceil(bytes / 1024)} KiB with defaults filled in; it travels in the deployment's ` +
          `Temporal history, so keep it under ${MAX_MANIFEST_BYTES / 1024} KiB: move large config values into ` +
          'files the executor reads (config: ./path/to/dir)',
      );
    }
  }
  return issues;
}
