/**
 * What preflight checks on the worker before anything changes: the chart and values files the
 * config names. (helm itself and the cluster are checked in index.ts, with the executor's binary.)
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PreflightProblem } from '../types';

export const HELM_FIX = 'set TUGBOAT_HELM_PATH to a helm binary, install Helm 3 on PATH, or run `npm run tools helm`';

type Problem = Omit<PreflightProblem, 'path'>;

/** A chart is a directory holding Chart.yaml, or a packaged .tgz. */
export async function chartProblem(chart: string): Promise<Problem | undefined> {
  const stat = await fs.stat(chart).catch(() => undefined);
  if (!stat) return { message: `the chart ${chart} does not exist`, fix: 'paths are relative to the manifest file' };
  if (stat.isFile()) {
    return /\.tgz$|\.tar\.gz$/.test(chart) ? undefined : { message: `${chart} is a file but not a packaged chart (.tgz)`, fix: 'point it at a chart directory or a `helm package` archive' };
  }
  const chartYaml = await fs.stat(path.join(chart, 'Chart.yaml')).catch(() => undefined);
  return chartYaml?.isFile() ? undefined : { message: `${chart} has no Chart.yaml`, fix: 'point it at the directory holding the chart\'s Chart.yaml' };
}

export async function valuesFileProblem(file: string): Promise<Problem | undefined> {
  const stat = await fs.stat(file).catch(() => undefined);
  return stat?.isFile() ? undefined : { message: `the values file ${file} does not exist`, fix: 'paths are relative to the manifest file' };
}
