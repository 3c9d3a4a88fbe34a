/**
 * The specialty `ingress` (and `ingress-…`) is the Redis ingress's: its result publisher polls
 * `<main>-ingress-<hash>` (and `<main>-ingress` for older tasks). A service routed there would wait
 * forever for a step no worker runs; a deployment worker polling it would steal result publications
 * it cannot make. Both are refused up front, saying why.
 */
import { parseManifestText } from '../../src/manifest';
import { parseQueues, WorkerSettingsError } from '../../src/worker/queues';

function issuesOf(services: unknown[], extra: Record<string, unknown> = {}): string[] {
  const parsed = parseManifestText(JSON.stringify({ deployment: { name: 'q', environment: 'dev', services, ...extra } }), 'q.json');
  return parsed.ok ? [] : parsed.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('the reserved specialty "ingress"', () => {
  it('is refused as a service task_queue and in task_queues, naming the field and why', () => {
    expect(issuesOf([{ name: 'a', type: 'docker', simulate: {}, task_queue: 'ingress' }])).toEqual([
      expect.stringMatching(/services.*task_queue: "ingress" is reserved: <main queue>-ingress… is where `tugboat ingress` publishes task results.*pick another name/),
    ]);
    expect(issuesOf([{ name: 'a', type: 'docker', simulate: {} }], { task_queues: { shell: 'ingress-eu' } })).toEqual([
      expect.stringMatching(/task_queues.*shell: "ingress-eu" is reserved/),
    ]);
    // Names that merely contain the word are fine.
    expect(issuesOf([{ name: 'a', type: 'docker', simulate: {}, task_queue: 'eu-ingress' }])).toEqual([]);
  });

  it('is refused by tugboat worker --queues with the reason, not as a malformed name', () => {
    expect(() => parseQueues('main,ingress')).toThrow(WorkerSettingsError);
    expect(() => parseQueues('main,ingress')).toThrow(/^--queues \(TUGBOAT_QUEUES\): "ingress" is reserved: .*tugboat ingress.* \(e\.g\. --queues/);
    expect(() => parseQueues('ingress-x=2')).toThrow(/"ingress-x" is reserved/);
    expect(parseQueues('infra,eu-ingress')).toEqual([{ specialty: 'infra' }, { specialty: 'eu-ingress' }]);
  });
});
