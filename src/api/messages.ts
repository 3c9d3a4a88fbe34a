/**
 * Every signal, query and update a deployment answers, defined once and imported by both the
 * workflow (setHandler) and the client (handle.query / signal / executeUpdate), so a name can't
 * drift between the two. The `temporal` CLI and the Web UI use the same names.
 */
import { defineQuery } from '@temporalio/workflow';
import type { DeploymentProgress, HealthReport } from './progress';

/** The deployment's phase and every service's state, outputs, resources and error. */
export const progressQuery = defineQuery<DeploymentProgress>('progress');

/** The last health result per service (verify step) and of the manifest's health checks. */
export const healthQuery = defineQuery<HealthReport>('health');
