/**
 * Every manifest the validator accepts can run: the cross-field rules reject what Temporal would
 * refuse (with the path and the fix), and a property test shows that every accepted manifest
 * compiles into activity and child workflow options without throwing.
 */
import fc from 'fast-check';
import { compileRetryPolicy, msToTs } from '@temporalio/common';
import { MAX_SUMMARY_BYTES, utf8Length } from '../../src/api/temporal-limits';
import { FailureTypes, type DeployStep } from '../../src/api/workflow-types';
import { validateManifest, type ManifestIssue } from '../../src/manifest';
import type { ManifestInput, ServiceInput } from '../../src/manifest/schema';
import { stepActivityOptions } from '../../src/workflows/activity-options';
import { childWorkflowOptions } from '../../src/workflows/child-options';

function issuesOf(raw: unknown): ManifestIssue[] {
  const result = validateManifest(raw);
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.issues;
}

// Simulated: these rules are about timings and sizes, not the shell executor's config shape.
const manifestWith = (service: Partial<ServiceInput>, extra: Partial<ManifestInput['deployment']> = {}) => ({
  deployment: { name: 'shop', environment: 'prod', services: [{ name: 'api', type: 'shell', executor: 'simulated', ...service }], ...extra },
});

describe('cross-field rules', () => {
  it('rejects an initial_interval above the default maximum_interval, naming both and the fix', () => {
    expect(issuesOf(manifestWith({ retry: { initial_interval: '2m' } }))).toEqual([
      {
        path: 'deployment.services[0].retry.initial_interval',
        message:
          '"2m" is longer than maximum_interval ("1m", the default), which caps every wait; ' +
          'lower initial_interval or set maximum_interval to at least "2m"',
      },
    ]);
  });

  it('applies the same rule to rollback_retry', () => {
    const issues = issuesOf(manifestWith({ rollback_retry: { initial_interval: '5m', maximum_interval: '1m' } }));
    expect(issues.map((i) => i.path)).toEqual(['deployment.services[0].rollback_retry.initial_interval']);
    expect(issues[0].message).toContain('maximum_interval ("1m")');
  });

  it.each([
    ['timeout', { timeout: 0 }, 'deployment.services[0].timeout'],
    ['timeout as "0s"', { timeout: '0s' }, 'deployment.services[0].timeout'],
    ['a timeout that rounds to 0ms', { timeout: '0.0001s' }, 'deployment.services[0].timeout'],
    ['retry.initial_interval', { retry: { initial_interval: '0ms' } }, 'deployment.services[0].retry.initial_interval'],
    ['retry.maximum_interval', { retry: { initial_interval: '0ms', maximum_interval: 0 } }, 'deployment.services[0].retry.initial_interval'],
  ])('rejects a zero %s', (_name, service, path) => {
    const issues = issuesOf(manifestWith(service as Partial<ServiceInput>));
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)!.message).toMatch(/is too short: .*; use at least 1ms/);
  });

  it('rejects durations past 30 days and health check timeouts of 0', () => {
    const issues = issuesOf(
      manifestWith({ timeout: '721h' }, { health_checks: [{ endpoint: 'https://example.com/health', timeout: 0 }] }),
    );
    expect(issues).toEqual([
      { path: 'deployment.services[0].timeout', message: '"721h" is longer than 30 days, surely a mistake; use at most "720h"' },
      { path: 'deployment.health_checks[0].timeout', message: expect.stringMatching(/^0 is too short: it bounds each probe/) },
    ]);
  });

  it('allows verify_timeout 0 (a single probe) and equal intervals', () => {
    expect(validateManifest(manifestWith({ verify_timeout: 0, retry: { initial_interval: '1m', maximum_interval: '1m' } })).ok).toBe(true);
  });

  it('rejects a manifest too large for workflow history, saying how to shrink it', () => {
    const issues = issuesOf(manifestWith({ config: { blob: 'x'.repeat(1300 * 1024) } }));
    expect(issues).toEqual([{ path: 'deployment', message: expect.stringMatching(/^the manifest is 1301 KiB .* under 1280 KiB: move large config/) }]);
  });

  it('rejects a version longer than 256 characters', () => {
    expect(issuesOf(manifestWith({ version: 'v'.repeat(300) })).map((i) => i.path)).toEqual(['deployment.services[0].version']);
  });
});

describe('invalid options in workflow code', () => {
  it('become a non-retryable failure naming the manifest field, never a plain error', () => {
    const result = validateManifest(manifestWith({}));
    if (!result.ok) throw new Error('expected a valid manifest');
    // What an unvalidated input (a hand-started run from an older client) could still carry.
    const service = { ...result.manifest.deployment.services[0], retry: { ...result.manifest.deployment.services[0].retry, initial_interval: '2m' } };
    let thrown: unknown;
    try {
      stepActivityOptions(service, 'apply', 'apply api');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({
      name: 'ApplicationFailure',
      type: FailureTypes.manifest,
      nonRetryable: true,
      message: expect.stringMatching(/^deployment\.services\[name=api\]\.retry: RetryPolicy\.maximumInterval cannot be less than its initialInterval; fix the manifest/),
    });
  });
});

// ---- the property: accepted ⇒ compiles ------------------------------------------------------

// Mostly everyday values, with zeros, fractions and the extremes mixed in.
const durationArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 600_000 }) },
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 120 }), fc.constantFrom('ms', 's', 'm', 'h')).map(([n, u]) => `${n}${u}`) },
  { weight: 1, arbitrary: fc.tuple(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom('s', 'm')).map(([n, u]) => `${n}${u}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3_000_000_000 }) },
);
const retryArb = fc.record(
  {
    max_attempts: fc.integer({ min: 1, max: 100 }),
    initial_interval: durationArb,
    backoff: fc.double({ min: 1, max: 10, noNaN: true }),
    maximum_interval: durationArb,
    jitter: fc.boolean(),
  },
  { requiredKeys: [] },
);
const nameArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const serviceArb = fc.record(
  {
    type: fc.constantFrom('terraform', 'kubernetes', 'shell', 'http'),
    version: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
    timeout: durationArb,
    verify_timeout: durationArb,
    retry: retryArb,
    rollback_retry: retryArb,
  },
  { requiredKeys: ['type'] },
);
const manifestArb = fc
  .record({
    name: nameArb,
    environment: nameArb,
    services: fc.uniqueArray(fc.tuple(nameArb, serviceArb), { minLength: 1, maxLength: 3, selector: ([n]) => n }),
  })
  .map(({ name, environment, services }) => ({
    // Simulated: options do not depend on the executor, and real ones would reject the missing config.
    deployment: { name, environment, services: services.map(([n, s]) => ({ name: n, executor: 'simulated', ...s })) },
  }));

const STEPS: DeployStep[] = ['apply', 'verify', 'compensate'];

describe('property: every accepted manifest compiles into options', () => {
  it('holds for thousands of generated manifests, accepted ones and rejected ones alike', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(manifestArb, (raw) => {
        const result = validateManifest(raw);
        if (!result.ok) {
          rejected++;
          return;
        }
        accepted++;
        for (const service of result.manifest.deployment.services) {
          for (const step of STEPS) {
            const options = stepActivityOptions(service, step, `${step} ${service.name}@${service.version ?? ''}`);
            // What the SDK does when it schedules the activity, and what the server checks.
            compileRetryPolicy(options.retry!);
            msToTs(options.startToCloseTimeout!);
            msToTs(options.heartbeatTimeout!);
            expect(utf8Length(options.summary!)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
          }
          const child = childWorkflowOptions('dep-20261129t120000000z-abcdef', service, result.manifest.deployment);
          expect(utf8Length(child.staticSummary!)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
          expect(child.workflowId.length).toBeLessThanOrEqual(1000);
        }
      }),
      { numRuns: 2_000 },
    );
    // Both sides are exercised: the generator is not trivially valid or trivially invalid.
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});
