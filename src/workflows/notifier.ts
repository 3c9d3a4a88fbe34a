/**
 * Sends the manifest's notifications from the workflow: one `notify` activity per subscribed
 * webhook and event. A receiver that is down never fails or delays the deployment: the activity
 * reports what happened, progress keeps it, and the run only waits for outstanding sends at its
 * very end. A manifest without `notify` schedules nothing (older histories replay unchanged).
 */
import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { TugboatActivities } from '../activities';
import type { NotifyInput } from '../api/workflow-types';
import type { NotifyEvent, NotifySpec } from '../manifest/schema';
import { describeSecret, isSecretReference } from '../secrets/reference';
import { ActivityCancellation } from './activity-options';
import { describeFailure } from './failures';
import type { ProgressTracker } from './progress-tracker';

export interface Notice {
  event: NotifyEvent;
  text: string;
  service?: string;
  fields?: NotifyInput['fields'];
}

export class Notifier {
  private readonly pending: Promise<void>[] = [];
  private sent = 0;

  constructor(
    private readonly subscribers: readonly NotifySpec[],
    private readonly tracker: ProgressTracker,
  ) {}

  send(notice: Notice): void {
    for (const subscriber of this.subscribers) {
      if (!subscriber.on.includes(notice.event)) continue;
      // A stop cancels the forward scope; a notice already under way is still delivered.
      this.pending.push(CancellationScope.nonCancellable(() => this.post(subscriber.webhook, notice)));
    }
  }

  /** Waits for every send started so far (each ends by itself: it never throws). */
  async drain(): Promise<void> {
    await Promise.all(this.pending);
  }

  private async post(webhook: NotifySpec['webhook'], notice: Notice): Promise<void> {
    const { notify } = proxyActivities<TugboatActivities>({
      summary: `notify ${notice.event}`,
      // The activity retries the POST itself, briefly; one more attempt covers a worker restart.
      startToCloseTimeout: '1 minute',
      cancellationType: ActivityCancellation.tryCancel,
      retry: { maximumAttempts: 2, initialInterval: '1 second' },
    });
    const p = this.tracker.data;
    const key = `${p.deploymentId}:${notice.event}:${++this.sent}`;
    const record = (delivered: boolean, detail: string) => {
      // Only the origin: a webhook's path often carries its token.
      (p.notifications ??= []).push({ event: notice.event, webhook: originOf(webhook), at: new Date().toISOString(), delivered, detail });
    };
    try {
      const result = await notify({
        key,
        webhook,
        event: notice.event,
        deploymentId: p.deploymentId,
        name: p.name,
        environment: p.environment,
        phase: p.phase,
        text: notice.text,
        service: notice.service,
        fields: notice.fields,
      });
      record(result.delivered, result.detail);
    } catch (err) {
      record(false, isCancellation(err) ? 'cancelled' : describeFailure(err).message);
    }
  }
}

/** scheme://host[:port] of a URL (a reference is shown as such), without credentials, path or query. */
export function originOf(url: NotifySpec['webhook']): string {
  if (isSecretReference(url)) return describeSecret(url);
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i.exec(url);
  return match ? match[1].replace(/\/\/[^@/]*@/, '//') : 'webhook';
}
