/**
 * What one seed does, decided before anything runs: the shape of the 20-service release, whether
 * a service fails for good (so the deployment must roll back), and the 1–3 faults with the point
 * each is injected at. Pure: the same seed gives the same plan on every machine, so a seed that
 * found something is reproduced with `npm run chaos -- --seed N`.
 */
import { mulberry32, type Rng } from '../../bench/lib/rng';

export const SERVICE_COUNT = 20;
export const TOFU_COUNT = 3;
export const SHELL_COUNT = 5;
/** The share of steps that fail transiently under a `transient` fault (the 30 %). */
export const TRANSIENT_SHARE = 0.3;
const ROLLBACK_SHARE = 0.3;

export type ServiceKind = 'sim' | 'shell' | 'tofu';

export interface PlannedService {
  name: string;
  kind: ServiceKind;
  dependencies: string[];
  /** Simulated apply time. */
  durationMs: number;
  /** Under a `transient` fault: how many of its apply attempts fail transiently first (0: none). */
  transientFailures: number;
  /** Fails permanently (the rollback seeds' last service). */
  failsPermanently: boolean;
}

export const FAULT_KINDS = ['kill-worker', 'restart-server', 'transient', 'store-down'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Where a fault lands. `throughout` is the transient fault's: every chosen step fails first.
 * before-intent: a step's intent is on its way to the ledger and not recorded yet;
 * after-intent: the intent is recorded, the side effect not made (the cloud holds it);
 * mid-apply / mid-verify / mid-compensation: the executor is inside that step (a cloud hold or a gate file);
 * child-completed: a service's child workflow has completed, the parent may not have taken it in yet.
 */
export const FAULT_POINTS = ['before-intent', 'after-intent', 'mid-apply', 'mid-verify', 'mid-compensation', 'child-completed', 'throughout'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface PlannedFault {
  kind: FaultKind;
  point: FaultPoint;
  /** The service whose step the point is in (none for before-intent and throughout). */
  service?: string;
  /** before-intent: armed once this many steps are confirmed in the ledger. */
  afterConfirmed?: number;
  /** kill-worker: the worker running the step (else the other one), and whether it comes back. */
  victim?: 'executing' | 'other';
  restart?: boolean;
  /** restart-server: SIGKILL rather than SIGTERM. */
  hardKill?: boolean;
  /** store-down: how long the state store is unreachable. */
  downMs?: number;
}

export interface ChaosPlan {
  seed: number;
  services: PlannedService[];
  faults: PlannedFault[];
  /** The service that fails for good, when the seed makes the deployment roll back. */
  failing?: string;
  expectedPhase: 'SUCCEEDED' | 'ROLLED_BACK';
}

export function planFor(seed: number): ChaosPlan {
  const rng = mulberry32(seed);
  const kinds = shuffle(rng, [
    ...Array<ServiceKind>(TOFU_COUNT).fill('tofu'),
    ...Array<ServiceKind>(SHELL_COUNT).fill('shell'),
    ...Array<ServiceKind>(SERVICE_COUNT - TOFU_COUNT - SHELL_COUNT - 1).fill('sim'),
  ]);
  kinds.push('sim'); // the last one is simulated: the one a rollback seed fails
  const services: PlannedService[] = kinds.map((kind, i) => ({
    name: `${kind}-${String(i + 1).padStart(2, '0')}`,
    kind,
    dependencies: [],
    durationMs: rng.int(10, 150),
    transientFailures: 0,
    failsPermanently: false,
  }));
  for (let i = 1; i < services.length; i++) {
    const picks = new Set<string>();
    for (let n = rng.int(0, 2); n > 0; n--) picks.add(services[rng.int(0, i - 1)].name);
    services[i].dependencies = [...picks];
  }

  const rollback = rng.next() < ROLLBACK_SHARE;
  const faults: PlannedFault[] = [];
  const used = new Set<string>();
  const count = rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    const kind = FAULT_KINDS[rng.int(0, FAULT_KINDS.length - 1)];
    if (kind === 'transient') {
      if (faults.some((f) => f.kind === 'transient')) continue;
      faults.push({ kind, point: 'throughout' });
      for (const s of services.slice(0, -1)) {
        if (s.kind !== 'tofu' && rng.next() < TRANSIENT_SHARE) s.transientFailures = s.kind === 'sim' ? rng.int(1, 2) : 1;
      }
      continue;
    }
    const fault = pointFault(rng, kind, services, used, rollback);
    if (fault) faults.push(fault);
  }
  if (faults.length === 0) faults.push({ kind: 'transient', point: 'throughout' });

  let failing: string | undefined;
  if (rollback) {
    const last = services[services.length - 1];
    last.failsPermanently = true;
    last.transientFailures = 0;
    // Every targeted service comes before the failure, so each point is reached (and, for
    // mid-compensation, the service exists to be undone).
    const targets = faults.map((f) => f.service).filter((s): s is string => s !== undefined);
    last.dependencies = [...new Set([...last.dependencies, ...targets])];
    failing = last.name;
  }
  return { seed, services, faults, failing, expectedPhase: rollback ? 'ROLLED_BACK' : 'SUCCEEDED' };
}

function pointFault(rng: Rng, kind: Exclude<FaultKind, 'transient'>, services: PlannedService[], used: Set<string>, rollback: boolean): PlannedFault | undefined {
  const points: FaultPoint[] = ['before-intent', 'after-intent', 'mid-apply', 'mid-verify', 'child-completed', ...(rollback ? (['mid-compensation'] as const) : [])];
  const point = points[rng.int(0, points.length - 1)];
  const extra: Partial<PlannedFault> =
    kind === 'kill-worker'
      ? { victim: rng.next() < 0.7 ? 'executing' : 'other', restart: rng.next() < 0.6 }
      : kind === 'restart-server'
        ? { hardKill: rng.next() < 0.5 }
        : { downMs: rng.int(2, 4) * 1_000 };
  if (point === 'before-intent') return { kind, point, afterConfirmed: rng.int(0, 6), ...extra };
  // Holds (after-intent, verify, compensation) are the simulated cloud's; a gate file holds a
  // shell script or an OpenTofu provisioner mid-apply; any child can complete.
  const eligible = services
    .slice(0, -1)
    .filter((s) => !used.has(s.name))
    .filter((s) => (point === 'mid-apply' || point === 'child-completed' ? true : s.kind === 'sim'));
  if (eligible.length === 0) return undefined;
  const target = eligible[rng.int(0, eligible.length - 1)];
  used.add(target.name);
  return { kind, point, service: target.name, ...extra };
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** One line per fault for the table: `kill-worker(executing, restarted)@mid-apply:shell-07`. */
export function describeFault(f: PlannedFault): string {
  const how =
    f.kind === 'kill-worker'
      ? `(${f.victim}, ${f.restart ? 'restarted' : 'not restarted'})`
      : f.kind === 'restart-server'
        ? `(${f.hardKill ? 'SIGKILL' : 'SIGTERM'})`
        : f.kind === 'store-down'
          ? `(${(f.downMs ?? 0) / 1000} s)`
          : '(30 %)';
  const where = f.point === 'before-intent' ? `before-intent#${f.afterConfirmed}` : f.service ? `${f.point}:${f.service}` : f.point;
  return `${f.kind}${how}@${where}`;
}
