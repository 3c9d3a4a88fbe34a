/**
 * Specialist task queues: which Temporal task queue a service's steps (apply, verify, compensate)
 * run on. Workflows stay on the main queue (the one the deployment was started on); each service's
 * activities go to `<main>-<specialty>`, so a worker started with `tugboat worker --queues infra`
 * receives only OpenTofu work, say. Temporal's pollers are the worker registry: no home-made one.
 *
 * Pure: imported by the workflows (routing), the worker (what to poll) and the client (`tugboat
 * workers`, the no-poller warning), so all three agree on every name.
 */
import type { DeploymentSpec, ExecutorName, ServiceSpec } from '../manifest/schema';

/** The specialty that means "the deployment's own task queue". */
export const MAIN_SPECIALTY = 'main';

/**
 * Where each executor's steps go unless the service or deployment says otherwise. Simulated
 * services stay on the main queue: the demo needs one worker.
 */
export const DEFAULT_SPECIALTY_BY_EXECUTOR: Readonly<Record<ExecutorName, string>> = {
  simulated: MAIN_SPECIALTY,
  shell: 'shell',
  opentofu: 'infra',
  http: 'http',
  kubectl: 'kubernetes',
  helm: 'kubernetes',
};

/** Every specialty the defaults use: what a plain `tugboat worker` polls besides the main queue. */
export const DEFAULT_SPECIALTIES: readonly string[] = [...new Set(Object.values(DEFAULT_SPECIALTY_BY_EXECUTOR))].filter(
  (s) => s !== MAIN_SPECIALTY,
);

/** A service's specialty: its own `task_queue`, else the deployment's `task_queues[executor]`, else the default. */
export function serviceSpecialty(
  service: Pick<ServiceSpec, 'executor' | 'task_queue'>,
  deployment?: Pick<DeploymentSpec, 'task_queues'>,
): string {
  if (service.task_queue) return service.task_queue;
  const executor = service.executor as ExecutorName;
  return deployment?.task_queues?.[executor] ?? DEFAULT_SPECIALTY_BY_EXECUTOR[executor] ?? MAIN_SPECIALTY;
}

/** The Temporal task queue of a specialty, under a main queue: `tugboat` + `infra` → `tugboat-infra`. */
export function taskQueueName(mainQueue: string, specialty: string): string {
  return specialty === MAIN_SPECIALTY ? mainQueue : `${mainQueue}-${specialty}`;
}

/**
 * The Redis ingress's result publisher (it holds the Redis connection) polls
 * `<main>-ingress-<hash of its Redis and list>` (src/ingress/publisher-queue.ts); tasks started
 * before that name existed publish through `<main>-ingress`. Both are reserved: see below.
 */
export const INGRESS_SPECIALTY = 'ingress';

/**
 * Why a specialty name cannot be used (a service's `task_queue`, a worker's `--queues`), or
 * undefined: `ingress` and `ingress-…` would put deployment steps on, or a deployment worker on,
 * the result publisher's queues.
 */
export function reservedSpecialtyProblem(name: string): string | undefined {
  if (name !== INGRESS_SPECIALTY && !name.startsWith(`${INGRESS_SPECIALTY}-`)) return undefined;
  return (
    `"${name}" is reserved: <main queue>-${INGRESS_SPECIALTY}… is where \`tugboat ingress\` publishes task results ` +
    `and no worker runs deployment steps there; pick another name, such as "delivery"`
  );
}
