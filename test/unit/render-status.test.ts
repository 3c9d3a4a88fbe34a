/** `tugboat status` as text: steps that took more than one attempt are named on the service's line. */
import { renderStatus } from '../../src/cli/render-status';
import type { DeploymentStatus, ServiceStatus } from '../../src/client/status';

function service(extra: Partial<ServiceStatus>): ServiceStatus {
  return {
    state: 'SUCCEEDED',
    type: 'terraform',
    wave: 0,
    attempt: null,
    last_failure: null,
    activity: null,
    started_at: null,
    ended_at: null,
    error: null,
    outputs: {},
    resources: [],
    steps: {},
    ...extra,
  };
}

function status(services: Record<string, ServiceStatus>): DeploymentStatus {
  return {
    id: 'dep-20261123t183012345z-k3f9q2',
    name: 'shop',
    environment: 'prod',
    phase: 'DEPLOYING',
    workflow_id: 'deploy-shop.prod',
    started_at: '2026-11-23T18:30:12.345Z',
    ended_at: null,
    unverifiable: [],
    error: null,
    waves: [Object.keys(services)],
    services,
    rollback_manifest: null,
    record: null,
    rollback: null,
    orphans: [],
    orphan_check_error: null,
    retained: [],
    requests: [],
    awaiting_decision: false,
  };
}

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
