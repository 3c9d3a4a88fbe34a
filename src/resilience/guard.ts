/**
 * The step runner's side of per-provider resilience: asks the shared state (through the state
 * store's atomic update, so every worker sees and moves the same breaker and budget) whether an
 * attempt may go, records how the call ended, and keeps the metrics. The store being unreadable
 * never fails a step: the guard then lets the call go (fail open) and says so in the log.
 */
import type { Context } from '@temporalio/activity';
import type { ProviderHealth } from '../api/resilience';
import type { StateStore } from '../state/types';
import { admitAttempt, recordOutcome, type Admission, type AttemptRequest, type CallOutcome } from './health';
import type { Refusal } from './refusal';
import { TimeoutError, withTimeout } from '../system/timeout';
import { recordBreakerState, recordCall, recordFastFailure } from './metrics';
import type { ResilienceSettings } from './settings';

export interface GuardTarget {
  provider: string;
  settings: ResilienceSettings;
  /** The step's idempotency key (the probe's identity). */
  key: string;
}

/**
 * How long the shared state may take to answer (a file lock held elsewhere waits up to 30s, a
 * PostgreSQL row lock as long as its holder) before the step stops waiting for it and treats it as
 * unreadable: an attempt goes unguarded, an outcome goes uncounted. The step heartbeats meanwhile.
 */
export const PROVIDER_HEALTH_TIMEOUT_MS = 5_000;

export interface GuardOptions {
  clock?: () => number;
  /** PROVIDER_HEALTH_TIMEOUT_MS unless a test shortens it. */
  timeoutMs?: number;
}

export class ProviderGuard {
  /** The health as last stored by this guard (for the refusal's message). */
  health: ProviderHealth | undefined;
  private readonly clock: () => number;
  private readonly timeoutMs: number;

  constructor(
    private readonly store: Pick<StateStore, 'updateProviderHealth'>,
    private readonly target: GuardTarget,
    private readonly activity: Pick<Context, 'log' | 'metricMeter'>,
    opts: GuardOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? PROVIDER_HEALTH_TIMEOUT_MS;
  }

  get provider(): string {
    return this.target.provider;
  }

  get settings(): ResilienceSettings {
    return this.target.settings;
  }

  async admit(call: Omit<AttemptRequest, 'key'>): Promise<Admission> {
    const { provider, settings, key } = this.target;
    let admission = { admitted: true, probe: false } as Admission;
    const stored = await this.update('the call goes unguarded', (current, now) => {
      const decided = admitAttempt(current, provider, settings, now, { ...call, key });
      // The update may run again when another writer won a race: the last run's verdict is the stored one.
      admission = decided.admission;
      return decided.next;
    });
    if (!stored) return { admitted: true, probe: false };
    if (admission.admitted && admission.probe) this.activity.log.info(`provider ${provider}: half-open, this attempt is the probe`, { provider });
    return admission;
  }

  /** The refused attempt is not sent (it fails fast). */
  refused(refusal: Refusal): void {
    recordFastFailure(this.activity.metricMeter, this.provider, refusal.reason);
  }

  /**
   * The refused attempt is sent all the same (a compensation with no attempt left to wait with):
   * an unguarded call, whose outcome record() still counts as any call's (a success closes the breaker).
   */
  sendingAnyway(refusal: Refusal, why: string): void {
    const { provider } = this;
    this.activity.log.warn(`provider ${provider}: refused (${refusal.reason}), sent anyway: ${why}`, { provider, reason: refusal.reason });
  }

  /** How the admitted call ended: success, a transient (provider) failure, or neutral (says nothing about the provider). */
  async record(outcome: CallOutcome): Promise<void> {
    const { provider, settings, key } = this.target;
    recordCall(this.activity.metricMeter, provider, outcome);
    await this.update('its outcome is not counted', (current, now) => recordOutcome(current, provider, settings, now, key, outcome));
  }

  /** Applies `fn` to the shared state; undefined when the store failed or did not answer in time (`otherwise` says what follows). */
  private async update(otherwise: string, fn: (current: ProviderHealth | undefined, now: number) => ProviderHealth): Promise<ProviderHealth | undefined> {
    const { provider } = this.target;
    let previous: ProviderHealth['breaker']['state'] = 'closed';
    const what = `provider ${provider}'s health`;
    try {
      // Given up on, the update may still land later: as a call that was admitted, or counted, late.
      this.health = await withTimeout(
        this.store.updateProviderHealth(provider, (current) => {
          previous = current?.breaker.state ?? 'closed';
          return fn(current, this.clock());
        }),
        this.timeoutMs,
        what,
      );
    } catch (err) {
      const why = err instanceof TimeoutError ? err.message : `cannot read or update ${what}`;
      this.activity.log.warn(`${why}; ${otherwise}`, { provider, error: String(err) });
      return undefined;
    }
    recordBreakerState(this.activity.metricMeter, this.health);
    const now = this.health.breaker.state;
    if (now !== previous) {
      const fields = { provider, from: previous, to: now, consecutiveFailures: this.health.breaker.consecutiveFailures };
      if (now === 'open') this.activity.log.warn(`provider ${provider}: circuit breaker ${previous} → open until ${this.health.breaker.retryAt}`, fields);
      else this.activity.log.info(`provider ${provider}: circuit breaker ${previous} → ${now}`, fields);
    }
    return this.health;
  }
}
