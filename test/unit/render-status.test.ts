/** `tugboat status` as text: steps that took more than one attempt are named on the service's line. */
import { renderStatus } from '../../src/cli/render-status';
import type { ServiceStatus } from '../../src/client/status';
import { deploymentStatus, serviceStatus } from '../support/status-fixtures';

const service = (extra: Partial<ServiceStatus>) => serviceStatus({ state: 'SUCCEEDED', type: 'terraform', ...extra });
const status = (services: Record<string, ServiceStatus>) => deploymentStatus(services);

describe('renderStatus', () => {
  it('names steps that needed retries, and nothing for first-attempt successes or a RETRYING line', () => {
    const text = renderStatus(
      status({
        db: service({ attempt: 1, steps: { apply: { attempts: 2, last_failure: 'timeout' }, verify: { attempts: 1, last_failure: null } } }),
        app: service({ attempt: 1, steps: { apply: { attempts: 1, last_failure: null } } }),
        cache: service({ state: 'RETRYING', attempt: 3, last_failure: 'busy' }),
      }),
    );
    expect(text).toMatch(/^ {2}db +SUCCEEDED {2}\[apply: 2 attempts\]$/m);
    expect(text).toMatch(/^ {2}app +SUCCEEDED$/m);
    expect(text).toMatch(/^ {2}cache +RETRYING \(attempt 3: busy\)$/m);
  });
});

describe('renderStatus with real executors', () => {
  it('shows a running step\'s latest output line, keeps a multi-line failure on one service line, and lists unverifiable services', () => {
    const text = renderStatus({
      ...status({
        net: service({ state: 'RUNNING', activity: 'terraform_data.net: Creating...' }),
        smoke: service({ state: 'FAILED', error: 'PermanentDeployError: smoke.sh exited 1:\nexpected 9.9.9\nthe service runs 1.5.0' }),
      }),
      error: 'smoke failed: smoke.sh exited 1:\nexpected 9.9.9',
      unverifiable: [{ service: 'hook', reason: 'http executor cannot list live resources' }],
    });
    expect(text).toMatch(/^ {2}net +RUNNING {2}terraform_data\.net: Creating\.\.\.$/m);
    expect(text).toMatch(/^ {2}smoke +FAILED {2}PermanentDeployError: smoke\.sh exited 1: \| expected 9\.9\.9 \| the service runs 1\.5\.0$/m);
    expect(text).toContain('error: smoke failed: smoke.sh exited 1:\n  expected 9.9.9');
    expect(text).toContain('UNVERIFIABLE: hook (http executor cannot list live resources)');
  });
});

describe('renderStatus for operators', () => {
  it('says who paused, which approvals are open, the bake window, and what to type next', () => {
    const text = renderStatus({
      ...status({ db: service({ state: 'AWAITING_APPROVAL' }), app: service({ state: 'PENDING' }) }),
      phase: 'PAUSED',
      paused: { by: 'ana', reason: 'incident', at: '2026-11-30T01:00:00.000Z' },
      approvals: { db: [{ requestedAt: '2026-11-30T00:59:00.000Z', deadline: '2026-11-30T01:29:00.000Z' }] },
      bake: { state: 'RUNNING', startedAt: '2026-11-30T01:00:00.000Z', until: '2026-11-30T01:02:00.000Z' },
      notifications: [{ event: 'approval_needed', webhook: 'https://hooks.example.com', at: 'x', delivered: false, detail: 'connection refused' }],
    });
    expect(text).toMatch(/^paused by ana: incident \(since 2026-11-30T01:00:00\.000Z\)$/m);
    expect(text).toMatch(/^approval db: open until 2026-11-30T01:29:00\.000Z$/m);
    expect(text).toMatch(/^bake RUNNING until 2026-11-30T01:02:00\.000Z$/m);
    expect(text).toMatch(/^notifications not delivered: approval_needed → https:\/\/hooks\.example\.com \(connection refused\)$/m);
    expect(text).toMatch(/^awaiting approval: tugboat approve dep-\S+ --service db {3}\(or reject\)$/m);
    expect(text).toMatch(/^paused: tugboat resume dep-\S+$/m);
  });

  it('lists a PARTIAL deployment\'s failed and skipped services, and a HALTED one\'s choices', () => {
    const partial = renderStatus({ ...status({ api: service({ state: 'FAILED' }) }), phase: 'PARTIAL', failed: ['api'], skipped: ['ui'] });
    expect(partial).toMatch(/^failed: api; skipped: ui$/m);
    const halted = renderStatus({ ...status({ api: service({ state: 'FAILED' }) }), phase: 'HALTED' });
    expect(halted).toMatch(/tugboat retry dep-\S+ \[--service <name>\]/);
    expect(halted).toMatch(/tugboat accept dep-\S+ +keep what succeeded and end PARTIAL/);
  });
});

describe('renderStatus and circuit breakers', () => {
  const now = Date.parse('2030-01-01T00:00:10.000Z');
  it('names each provider whose breaker is not closed, the services behind it and when it probes', () => {
    const text = renderStatus(
      {
        ...status({ a: service({ state: 'RETRYING', attempt: 3, last_failure: 'not sent: …' }), b: service({ state: 'RUNNING' }) }),
        providers: [
          {
            provider: 'simulated:127.0.0.1:4780',
            state: 'open',
            consecutive_failures: 2,
            opened_at: '2030-01-01T00:00:00.000Z',
            retry_at: '2030-01-01T00:00:12.000Z',
            probe_since: null,
            services: ['a', 'b'],
          },
          { provider: 'http:api.example.com:443', state: 'half-open', consecutive_failures: 5, opened_at: null, retry_at: null, probe_since: '2030-01-01T00:00:09.000Z', services: ['b'] },
        ],
      },
      now,
    );
    expect(text).toContain(
      'provider simulated:127.0.0.1:4780 (a, b): circuit breaker OPEN since 2030-01-01T00:00:00.000Z after 2 consecutive transient failures; its calls fail fast; one probe may go in 2s (2030-01-01T00:00:12.000Z)',
    );
    expect(text).toContain('provider http:api.example.com:443 (b): circuit breaker HALF-OPEN after 5 consecutive transient failures; one probe in flight since 2030-01-01T00:00:09.000Z decides whether it closes');
  });

  it('prints no breaker line when none is open', () => {
    expect(renderStatus({ ...status({ a: service({}) }), providers: [] }, now)).not.toMatch(/circuit breaker/);
  });
});
