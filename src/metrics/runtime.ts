/**
 * The runtime telemetry options that serve Prometheus metrics: Temporal's own worker metrics
 * (temporal_*, durations in milliseconds as Temporal's dashboards expect) and Tugboat's
 * (tugboat_*, durations in seconds with buckets sized for deployment steps).
 */
import type { MetricsExporterConfig } from '@temporalio/worker';
import { parseMetricsAddress } from '../worker/config';
import { HISTOGRAM_BUCKET_OVERRIDES } from './names';

export function prometheusMetricsOptions(address: string): MetricsExporterConfig {
  return {
    prometheus: {
      bindAddress: parseMetricsAddress(address),
      histogramBucketOverrides: HISTOGRAM_BUCKET_OVERRIDES,
    },
  };
}
