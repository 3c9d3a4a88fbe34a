/**
 * The simulated cloud's behaviour, independent of HTTP: apply/verify/compensate with idempotency,
 * holds, injected faults and a call log ordered by one global sequence counter.
 *
 * Concurrency: Node runs this single-threaded, so state changes between two `await`s are atomic.
 * Every side effect happens synchronously after the last await of its operation, and calls with
 * the same idempotency key are single-flighted, so a key's side effect happens at most once.
 */
import { abortableSleep } from '../system/sleep';
import { HttpFault } from './fault';
import { Holds } from './holds';
import { outputsFor, resourceId, resourceKindFor } from './resources';
import type { SimCloudStore } from './store';
import type {
  ApplyRequest,
  ApplyResult,
  CallOutcome,
  CallRecord,
  CompensateOutcome,
  CompensateRequest,
  CompensateResult,
  FaultOverride,
  HoldInfo,
  HoldOp,
  MutatingOp,
  PreviousState,
  Resource,
  ServiceHealth,
  ServiceRecord,
  SimCloudState,
  VerifyRequest,
  VerifyResult,
} from './types';

interface CallIdentity {
  service: string;
  deploymentId: string;
  idempotencyKey: string;
}

type Faults = FaultOverride & { duration_ms?: number };

const clone = <T>(value: T): T => structuredClone(value);


export class SimulatedCloud {
  private readonly holds = new Holds();
  /** Operations in progress per scoped idempotency key (single flight). */
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Aborted by reset and shutdown: operations that started before stop before their side effect. */
  private lifetime = new AbortController();

  constructor(
    private readonly store: SimCloudStore,
    private readonly log: (line: string) => void = () => undefined,
    /** The clock `unhealthy_after` is measured with (epoch ms). */
    private readonly now: () => number = Date.now,
  ) {
    // A call still "in flight" in a loaded file was cut off by a crash: it never completed.
    this.interruptInFlightCalls('interrupted: sim-cloud stopped while the call was in flight');
  }

  private get state(): SimCloudState {
    return this.store.state;
  }

  // ---- operations -------------------------------------------------------------------------

  apply(req: ApplyRequest): Promise<ApplyResult> {
    return this.track('apply', req, (call, signal) =>
      this.singleFlight<ApplyResult>('apply', req, call, signal, () => this.applyOnce(req, call, signal)),
    );
  }

  verify(req: VerifyRequest): Promise<VerifyResult> {
    // Not cached by key: verify only reads, and a retried verify should see the world as it is now.
    return this.track('verify', req, async (call, signal) => {
      await this.holds.wait(req.service, 'verify', signal);
      signal.throwIfAborted();
      const record = this.state.services[req.service];
      // A service still converging: its first N probes (per deployment's verify key) say unhealthy.
      const { unhealthy_probes = 0 } = this.faultsFor(req.service, req.simulate);
      const probes = (this.state.idempotency[scopedKey('verify', req)] ??= { transientFailures: 0 });
      const converging = record !== undefined && probes.transientFailures < unhealthy_probes;
      if (converging) probes.transientFailures += 1;
      const wentBad = record && this.wentBad(record, req.simulate?.unhealthy_after_ms);
      const healthy = record?.healthy === true && !converging && !wentBad;
      const outcome = healthy ? 'verified' : 'unhealthy';
      const detail = !record
        ? 'service is not deployed'
        : converging
          ? `still converging (unhealthy probe ${probes.transientFailures} of ${unhealthy_probes})`
          : (wentBad ?? (healthy ? undefined : 'unhealthy'));
      const completedSeq = this.complete(call, outcome, detail);
      return { healthy, outcome, version: record?.version ?? null, seq: call.seq, completedSeq, ...(detail ? { detail } : {}) };
    });
  }

  compensate(req: CompensateRequest): Promise<CompensateResult> {
    return this.track('compensate', req, (call, signal) =>
      this.singleFlight<CompensateResult>('compensate', req, call, signal, () =>
        this.compensateOnce(req, call, signal),
      ),
    );
  }

  private async applyOnce(req: ApplyRequest, call: CallRecord, signal: AbortSignal): Promise<ApplyResult> {
    const { service } = req;
    const faults = () => this.faultsFor(service, req.simulate);
    await this.holds.wait(service, 'apply', signal);

    // A throttled or unavailable API answers at once (read after the hold, so an override set
    // meanwhile applies to this attempt); a rejected change is only known after the work.
    const { fail_transient = 0 } = faults();
    const entry = (this.state.idempotency[scopedKey('apply', req)] ??= { transientFailures: 0 });
    if (entry.transientFailures < fail_transient) {
      entry.transientFailures += 1;
      throw new HttpFault(
        503,
        'unavailable',
        `simulated transient failure ${entry.transientFailures} of ${fail_transient} applying ${service}`,
        true,
      );
    }
    await abortableSleep(faults().duration_ms ?? 0, signal);
    signal.throwIfAborted();
    if (faults().fail_permanent) {
      throw new HttpFault(422, 'permanent', `simulated permanent failure applying ${service}`, false);
    }

    // The side effect: synchronous from here on.
    const existing = this.state.services[service];
    const previous: PreviousState | null = existing
      ? clone({ version: existing.version, outputs: existing.outputs, resources: existing.resources, deploymentId: existing.deploymentId })
      : null;
    const outcome = existing ? 'updated' : 'created';
    const completedSeq = this.complete(call, outcome);
    const version = req.version ?? null;

    let live = this.state.resources.filter((r) => r.service === service);
    if (live.length === 0) {
      const kind = resourceKindFor(req.type, service);
      const created: Resource = {
        id: resourceId(kind, completedSeq),
        kind,
        service,
        deploymentId: req.deploymentId,
        version,
        createdSeq: completedSeq,
      };
      this.state.resources.push(created);
      live = [created];
    }
    for (const resource of live) Object.assign(resource, { deploymentId: req.deploymentId, version });
    const { unhealthy_after_ms } = req.simulate ?? {};
    const record: ServiceRecord = {
      service,
      deploymentId: req.deploymentId,
      version,
      outputs: outputsFor(live[0], version),
      resources: clone(live),
      healthy: true,
      config: clone(req.config ?? null),
      appliedAt: this.now(),
      ...(unhealthy_after_ms === undefined ? {} : { unhealthyAfterMs: unhealthy_after_ms }),
    };
    this.state.services[service] = record;

    const result: ApplyResult = {
      outcome,
      firstOutcome: outcome,
      seq: call.seq,
      completedSeq,
      version,
      resources: clone(record.resources),
      outputs: clone(record.outputs),
      previous,
    };
    entry.result = clone(result);
    return result;
  }

  private async compensateOnce(
    req: CompensateRequest,
    call: CallRecord,
    signal: AbortSignal,
  ): Promise<CompensateResult> {
    const { service } = req;
    // Like a state lock (Terraform's, a Kubernetes resourceVersion): an apply still running on the
    // service — even one whose client went away — finishes before anything undoes it.
    await this.applyingSettled(service, signal);
    await this.holds.wait(service, 'compensate', signal);
    signal.throwIfAborted();
    if (this.faultsFor(service, req.simulate).fail_compensation) {
      throw new HttpFault(500, 'compensation_failed', `simulated compensation failure for ${service}`, true);
    }

    let outcome: CompensateOutcome;
    let detail: string | undefined;
    if (req.action === 'retain') {
      outcome = 'retained';
    } else if (req.action === 'restore' && req.previous) {
      this.restoreService(service, req.previous, req.deploymentId);
      outcome = 'restored';
    } else {
      // delete, or restore to "did not exist before": both mean the service goes away.
      outcome = this.removeService(service) ? 'deleted' : 'noop';
      if (req.action === 'restore') detail = 'no previous state: restored to absent';
    }
    const completedSeq = this.complete(call, outcome, detail);
    const result: CompensateResult = {
      outcome,
      firstOutcome: outcome,
      action: req.action,
      seq: call.seq,
      completedSeq,
      record: clone(this.state.services[service] ?? null),
    };
    const entry = (this.state.idempotency[scopedKey('compensate', req)] ??= { transientFailures: 0 });
    entry.result = clone(result);
    return result;
  }

  private removeService(service: string): boolean {
    const existed = service in this.state.services;
    delete this.state.services[service];
    const before = this.state.resources.length;
    this.state.resources = this.state.resources.filter((r) => r.service !== service);
    return existed || this.state.resources.length !== before;
  }

  /** Puts `previous` back exactly: same version, outputs and resource IDs (missing ones recreated). */
  private restoreService(service: string, previous: PreviousState, fallbackDeploymentId: string): void {
    const restored = previous.resources.map((r) => ({ ...r, service }));
    const ids = new Set(restored.map((r) => r.id));
    this.state.resources = this.state.resources.filter((r) => r.service !== service && !ids.has(r.id));
    this.state.resources.push(...restored);
    this.state.services[service] = {
      service,
      deploymentId: previous.deploymentId ?? restored[0]?.deploymentId ?? fallbackDeploymentId,
      version: previous.version,
      outputs: { ...previous.outputs },
      resources: clone(restored),
      healthy: true,
    };
  }

  // ---- call bookkeeping ---------------------------------------------------------------------

  /** Records the arrival, runs the operation, records how it ended and persists before answering. */
  private async track<T>(
    op: MutatingOp,
    id: CallIdentity,
    run: (call: CallRecord, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const signal = this.lifetime.signal;
    const call: CallRecord = {
      seq: this.store.nextSeq(),
      completedSeq: null,
      op,
      service: id.service,
      deploymentId: id.deploymentId,
      idempotencyKey: id.idempotencyKey,
      outcome: null,
    };
    this.state.calls.push(call);
    // Persist the arrival without delaying the call; completion is awaited below.
    this.store.save().catch((err) => this.log(`sim-cloud: saving state failed: ${String(err)}`));
    try {
      const result = await run(call, signal);
      await this.store.save();
      return result;
    } catch (err) {
      // After a reset/shutdown the call belongs to a discarded (or already finalized) world.
      if (!signal.aborted && call.completedSeq === null) {
        const outcome = err instanceof HttpFault ? err.outcome : 'transient_error';
        this.complete(call, outcome, err instanceof Error ? err.message : String(err));
        await this.store.save();
      }
      throw err;
    }
  }

  /** Answers a completed key as a repeat; waits out a running attempt with the same key first. */
  private async applyingSettled(service: string, signal: AbortSignal): Promise<void> {
    const prefix = `apply/${service}/`;
    for (;;) {
      const running = [...this.inflight].filter(([key]) => key.startsWith(prefix)).map(([, p]) => p);
      if (running.length === 0) return;
      await Promise.allSettled(running);
      signal.throwIfAborted();
    }
  }

  private async singleFlight<R extends ApplyResult | CompensateResult>(
    op: MutatingOp,
    id: CallIdentity,
    call: CallRecord,
    signal: AbortSignal,
    attempt: () => Promise<R>,
  ): Promise<R> {
    const key = scopedKey(op, id);
    for (;;) {
      const stored = this.state.idempotency[key]?.result as R | undefined;
      if (stored) {
        this.complete(call, 'repeat', `repeat of the call at seq ${stored.seq} (${stored.firstOutcome})`);
        return { ...clone(stored), outcome: 'repeat' };
      }
      const running = this.inflight.get(key);
      if (!running) break;
      await running.then(
        () => undefined,
        () => undefined,
      );
      signal.throwIfAborted();
    }
    const promise = attempt();
    this.inflight.set(key, promise);
    try {
      return await promise;
    } finally {
      if (this.inflight.get(key) === promise) this.inflight.delete(key);
    }
  }

  private complete(call: CallRecord, outcome: CallOutcome, detail?: string): number {
    call.completedSeq = this.store.nextSeq();
    call.outcome = outcome;
    if (detail !== undefined) call.detail = detail;
    this.log(
      `#${call.seq} ${call.op} ${call.service} [${call.idempotencyKey}] -> ${outcome} #${call.completedSeq}` +
        (detail ? `: ${detail}` : ''),
    );
    return call.completedSeq;
  }

  private interruptInFlightCalls(detail: string): void {
    for (const call of this.state.calls) {
      if (call.completedSeq === null) this.complete(call, 'transient_error', detail);
    }
  }

  private faultsFor(service: string, requested: Faults | undefined): Faults {
    return { ...requested, ...this.state.overrides[service] };
  }

  /**
   * Why a deployed service has gone bad (`unhealthy_after`: an override, else what the caller
   * asks, else what its apply asked), or undefined while it is still good. Measured from the
   * completion of the apply that produced its state; a restored state has none.
   */
  private wentBad(record: ServiceRecord, requestedMs?: number): string | undefined {
    const afterMs = this.state.overrides[record.service]?.unhealthy_after_ms ?? requestedMs ?? record.unhealthyAfterMs;
    if (afterMs === undefined || record.appliedAt === undefined) return undefined;
    if (this.now() - record.appliedAt < afterMs) return undefined;
    return `went unhealthy ${afterMs} ms after its apply (simulate.unhealthy_after)`;
  }

  // ---- queries and control ------------------------------------------------------------------

  getService(service: string): ServiceRecord | null {
    return clone(this.state.services[service] ?? null);
  }

  health(service: string): ServiceHealth {
    const record = this.state.services[service];
    if (!record) return { status: 'absent' };
    const wentBad = this.wentBad(record);
    if (wentBad) return { status: 'unhealthy', version: record.version, detail: wentBad };
    return { status: record.healthy ? 'healthy' : 'unhealthy', version: record.version };
  }

  resources(): Resource[] {
    return clone(this.state.resources).sort((a, b) => a.createdSeq - b.createdSeq);
  }

  calls(filter: { service?: string; op?: string } = {}): CallRecord[] {
    return clone(
      this.state.calls.filter(
        (c) => (!filter.service || c.service === filter.service) && (!filter.op || c.op === filter.op),
      ),
    );
  }

  listHolds(): HoldInfo[] {
    return this.holds.list();
  }

  setHold(service: string, op: HoldOp): void {
    this.holds.set(service, op);
  }

  releaseHold(service: string, op: HoldOp): number {
    return this.holds.release(service, op);
  }

  overrides(): Record<string, FaultOverride> {
    return clone(this.state.overrides);
  }

  async setOverride(service: string, override: FaultOverride): Promise<void> {
    this.state.overrides[service] = override;
    await this.store.save();
  }

  async clearOverride(service: string): Promise<void> {
    delete this.state.overrides[service];
    await this.store.save();
  }

  /** Forgets everything, counter included; calls in flight fail with 503 and leave no trace. */
  async reset(): Promise<void> {
    this.lifetime.abort(new HttpFault(503, 'reset', 'sim-cloud was reset while the call was in flight', true));
    this.lifetime = new AbortController();
    this.holds.clear();
    this.inflight.clear();
    this.store.reset();
    await this.store.save();
  }

  /** Fails calls in flight (held or sleeping) and records them as interrupted; the store is flushed by the caller. */
  shutdown(): void {
    this.lifetime.abort(new HttpFault(503, 'shutting_down', 'sim-cloud is shutting down', true));
    this.holds.clear();
    this.interruptInFlightCalls('interrupted: sim-cloud shut down while the call was in flight');
  }
}

/** Idempotency keys are scoped by operation and service: an apply key never answers a compensate. */
function scopedKey(op: MutatingOp, id: CallIdentity): string {
  return `${op}/${id.service}/${id.idempotencyKey}`;
}
