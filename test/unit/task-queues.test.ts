/** Which task queue a service's steps go to: the mapping every worker, workflow and client share. */
import { DEFAULT_SPECIALTIES, serviceSpecialty, taskQueueName } from '../../src/api/task-queues';
import { parseManifestText } from '../../src/manifest';
import { stepActivityOptions } from '../../src/workflows/activity-options';

function manifestWith(services: unknown[], extra: Record<string, unknown> = {}) {
  const parsed = parseManifestText(JSON.stringify({ deployment: { name: 'q', environment: 'dev', services, ...extra } }), 'q.json');
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return parsed.manifest;
}

describe('specialty task queues', () => {
  it('maps executors to their default specialty, and simulated services to the main queue', () => {
    const m = manifestWith([
      { name: 'net', type: 'terraform', config: { module: './m' } },
      { name: 'job', type: 'shell', config: { run: ['true'] } },
      { name: 'sim', type: 'docker', simulate: {} },
    ]);
    const [net, job, sim] = m.deployment.services;
    expect(serviceSpecialty(net, m.deployment)).toBe('infra');
    expect(serviceSpecialty(job, m.deployment)).toBe('shell');
    expect(serviceSpecialty(sim, m.deployment)).toBe('main');
    expect(taskQueueName('tugboat', 'infra')).toBe('tugboat-infra');
    expect(taskQueueName('tugboat', 'main')).toBe('tugboat');
    expect(DEFAULT_SPECIALTIES).toEqual(expect.arrayContaining(['infra', 'shell', 'http', 'kubernetes']));
    expect(DEFAULT_SPECIALTIES).not.toContain('main');
  });

  it('lets the deployment remap an executor and the service override both', () => {
    const m = manifestWith(
      [
        { name: 'net', type: 'terraform', config: { module: './m' } },
        { name: 'gpu-job', type: 'shell', config: { run: ['true'] }, task_queue: 'gpu' },
      ],
      { task_queues: { opentofu: 'infra-eu', shell: 'main' } },
    );
    const [net, job] = m.deployment.services;
    expect(serviceSpecialty(net, m.deployment)).toBe('infra-eu');
    expect(serviceSpecialty(job, m.deployment)).toBe('gpu');
  });

  it('refuses a queue name that is not a name, naming the field', () => {
    expect(() => manifestWith([{ name: 'a', type: 'docker', simulate: {}, task_queue: 'Infra Queue' }])).toThrow(
      /services.*task_queue[\s\S]*lowercase/,
    );
    expect(() => manifestWith([{ name: 'a', type: 'docker', simulate: {} }], { task_queues: { docker: 'x' } })).toThrow(/task_queues/);
  });

  it('puts the queue into the step options only when one is given', () => {
    const [svc] = manifestWith([{ name: 'a', type: 'docker', simulate: {} }]).deployment.services;
    expect(stepActivityOptions(svc, 'apply', 'apply a', 'tugboat-gpu').taskQueue).toBe('tugboat-gpu');
    expect(stepActivityOptions(svc, 'apply', 'apply a')).not.toHaveProperty('taskQueue');
  });
});

describe('the specs kept in the rollback manifest', () => {
  it('fold in the deployment-level queue mapping and resilience, the service\'s own values winning', async () => {
    const { selfContainedSpec } = await import('../../src/workflows/deployment');
    const m = manifestWith(
      [
        { name: 'net', type: 'terraform', config: { module: './m' } },
        { name: 'job', type: 'shell', config: { run: ['true'] }, task_queue: 'gpu', resilience: { breaker: { failures: 1 } } },
      ],
      { task_queues: { opentofu: 'infra-eu' }, strategy: { resilience: { provider: 'eu', breaker: { failures: 4, cool_down: '9s' } } } },
    );
    const [net, job] = m.deployment.services.map((s) => selfContainedSpec(s, m.deployment));
    expect(net.task_queue).toBe('infra-eu');
    expect(net.resilience).toEqual({ provider: 'eu', breaker: { failures: 4, cool_down: '9s' }, retry_budget: {} });
    expect(job.task_queue).toBe('gpu');
    expect(job.resilience).toEqual({ provider: 'eu', breaker: { failures: 1, cool_down: '9s' }, retry_budget: {} });
  });

  it('are the services as given when the deployment sets neither', async () => {
    const { selfContainedSpec } = await import('../../src/workflows/deployment');
    const m = manifestWith([{ name: 'net', type: 'terraform', config: { module: './m' } }]);
    expect(selfContainedSpec(m.deployment.services[0], m.deployment)).toBe(m.deployment.services[0]);
  });
});
