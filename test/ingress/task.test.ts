/**
 * The ingress's pure parts: how a raw task is checked (every problem named by its field, a stable
 * ID for a task without a usable one), which keys an ingress works on, how a manifest is prepared
 * (the planner's cycle message reaches the result), and how a deployment's end becomes a status.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeploymentResult } from '../../src/api/progress';
import { ingressKeys, processingKeyFor, resultKey } from '../../src/ingress/keys';
import { prepareTask } from '../../src/ingress/prepare';
import { failedResult, resultOfDeployment, statusOfPhase } from '../../src/ingress/result';
import { malformedTaskId, parseTask } from '../../src/ingress/task';

const manifest = { deployment: { name: 'shop', environment: 'prod', services: [{ name: 'api', type: 'kubernetes', simulate: { duration: '1s' } }] } };

describe('parseTask', () => {
  it('accepts a task with an id and exactly one of manifest / manifest_path', () => {
    const parsed = parseTask(JSON.stringify({ id: 'release-42', manifest, requested_by: 'ci' }));
    expect(parsed).toEqual({ ok: true, id: 'release-42', task: { id: 'release-42', manifest, requested_by: 'ci' } });
    expect(parseTask('{"id":"r.1_a","manifest_path":"/srv/app.yaml"}').ok).toBe(true);
  });

  it('files text that is not JSON under malformed-<hash>, the same hash for the same text', () => {
    const parsed = parseTask('deploy shop please');
    expect(parsed).toEqual({ ok: false, id: malformedTaskId('deploy shop please'), problems: [expect.stringMatching(/^task: not JSON \(.+\); push a JSON object/)] });
    expect(parsed.id).toMatch(/^malformed-[0-9a-f]{16}$/);
    expect(parseTask('deploy shop please').id).toBe(parsed.id);
    expect(parseTask('[1,2]')).toMatchObject({ ok: false, problems: [expect.stringContaining('must be a JSON object')] });
  });

  it('names every bad field, and keeps a usable id for the result', () => {
    const missing = parseTask('{"manifest_path": "/srv/app.yaml"}');
    expect(missing).toMatchObject({ ok: false, problems: [expect.stringMatching(/^task\.id: missing; give every task a unique id/)] });
    expect(missing.id).toMatch(/^malformed-/);

    const unsafe = parseTask('{"id": "a b:c", "manifest_path": "/x"}');
    expect(unsafe).toMatchObject({ ok: false, problems: [expect.stringMatching(/^task\.id: must be 1-128 letters/)] });
    expect(unsafe.id).toMatch(/^malformed-/);

    expect(parseTask('{"id": "t1"}')).toEqual({ ok: false, id: 't1', problems: ['task.manifest / task.manifest_path: give exactly one (got neither)'] });
    expect(parseTask('{"id": "t1", "manifest": "x: 1", "manifest_path": "/x"}')).toMatchObject({ problems: [expect.stringContaining('(got both)')] });
    expect(parseTask('{"id": "t1", "manifest_path": "/x", "requested_by": 7, "priority": 1}')).toEqual({
      ok: false,
      id: 't1',
      problems: [
        'task.requested_by: must be a string',
        'task: unknown field(s) "priority"; a task has id, manifest or manifest_path, requested_by',
      ],
    });
  });
});

describe('ingress keys', () => {
  it('pairs each pending list with its processing list and keeps the contract\'s result names', () => {
    expect(ingressKeys()).toEqual({
      pending: 'tasks:pending:devops',
      processing: 'tasks:processing:devops',
      resultPrefix: 'tasks:result:',
      channel: 'tasks:results',
    });
    expect(processingKeyFor('team-a:pending')).toBe('team-a:processing');
    expect(processingKeyFor('jobs')).toBe('jobs:processing');
    expect(resultKey(ingressKeys(), 'release-42')).toBe('tasks:result:release-42');
  });
});

describe('prepareTask', () => {
  it('plans a valid manifest, and names the field and the cycle of an invalid one', async () => {
    const ok = await prepareTask({ id: 't', manifest });
    expect(ok).toMatchObject({ ok: true, plan: { order: ['api'] } });

    const cyclic = {
      deployment: {
        name: 'shop',
        environment: 'prod',
        services: [
          { name: 'a', type: 'kubernetes', dependencies: ['b'], simulate: {} },
          { name: 'b', type: 'kubernetes', dependencies: ['a'], simulate: {} },
        ],
      },
    };
    const bad = await prepareTask({ id: 't', manifest: JSON.stringify(cyclic) });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.join('\n')).toMatch(/^task\.manifest: deployment\.services.*cycle.*\b(a → b|b → a)\b/ms);
  });

  it('reads manifest_path relative to nothing but the file, and says when it is missing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-ingress-unit-'));
    try {
      fs.writeFileSync(path.join(dir, 'release.yaml'), 'deployment:\n  name: shop\n  environment: prod\n  services:\n    - name: api\n      type: kubernetes\n      simulate: {}\n');
      const ok = await prepareTask({ id: 't', manifest_path: path.join(dir, 'release.yaml') });
      expect(ok).toMatchObject({ ok: true, source: path.join(dir, 'release.yaml'), baseDir: dir });
      const missing = await prepareTask({ id: 't', manifest_path: path.join(dir, 'nope.yaml') });
      expect(missing).toEqual({ ok: false, problems: [expect.stringMatching(/^task\.manifest_path \(.*nope\.yaml\): manifest: cannot read .*file not found/)] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('results', () => {
  const target = { name: 'shop', environment: 'prod', workflowId: 'deploy-shop.prod' };
  const at = '2026-01-01T00:00:00.000Z';

  it('maps the deployment\'s phase to completed, partial or failed', () => {
    expect(['SUCCEEDED', 'PARTIAL', 'ROLLED_BACK', 'FAILED', 'CANCELLED', 'ROLLBACK_BLOCKED'].map(statusOfPhase)).toEqual([
      'completed',
      'partial',
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
  });

  it('aggregates per-service state, outputs and errors, with the failed services and a summary', () => {
    const deployment: DeploymentResult = {
      deploymentId: 'dep-1',
      phase: 'ROLLED_BACK',
      error: 'db failed: disk full',
      services: {
        vpc: { state: 'ROLLED_BACK', outputs: { vpc_id: 'vpc-1' } },
        db: { state: 'FAILED', outputs: {}, error: { type: 'PermanentDeployError', message: 'disk full', step: 'apply' } },
      },
      orphans: [],
      retained: [],
    };
    expect(resultOfDeployment('t1', target, deployment, at)).toEqual({
      id: 't1',
      status: 'failed',
      summary: 'shop/prod ROLLED_BACK: db failed: disk full; failed: db (deployment dep-1)',
      deploymentId: 'dep-1',
      workflowId: 'deploy-shop.prod',
      phase: 'ROLLED_BACK',
      services: { vpc: { state: 'ROLLED_BACK', outputs: { vpc_id: 'vpc-1' } }, db: { state: 'FAILED', outputs: {}, error: 'apply: disk full' } },
      failed: ['db'],
      error: 'db failed: disk full',
      finishedAt: at,
    });
    const done = resultOfDeployment('t2', target, { ...deployment, phase: 'SUCCEEDED', error: undefined, services: { vpc: { state: 'UNCHANGED', outputs: {} } } }, at);
    expect(done).toMatchObject({ status: 'completed', failed: [], summary: 'deployed shop/prod: 1 service(s) up (1 already up to date) (deployment dep-1)' });
    expect(done.error).toBeUndefined();
  });

  it('files a task that never ran as failed with its reason', () => {
    expect(failedResult('t3', 'task.id: missing\ntask.manifest: bad', at)).toEqual({
      id: 't3',
      status: 'failed',
      summary: 'task t3 failed: task.id: missing (+1 more)',
      services: {},
      failed: [],
      error: 'task.id: missing\ntask.manifest: bad',
      finishedAt: at,
    });
  });
});
