/**
 * The values Tugboat hands helm: the config's `values` with secret references resolved and the
 * service's version set where `version_value` says. They go through a file only this user can read
 * (a 0700 directory per step, removed as soon as helm has run), never on helm's command line where
 * any user sees it in `ps`.
 */
import { withPrivateFile } from '../private-files';
import type { ExecutorContext } from '../types';
import type { HelmConfig } from './schema';

/** A copy of `values` with `dotted` (e.g. `image.tag`) set to `value`, creating the mappings on the way. */
export function setValue(values: Record<string, unknown>, dotted: string, value: string): Record<string, unknown> {
  const keys = dotted.split('.');
  const root = { ...values };
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    // A scalar where a mapping is needed is replaced: the version must land where the chart reads it.
    node[key] = typeof child === 'object' && child !== null && !Array.isArray(child) ? { ...(child as Record<string, unknown>) } : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return root;
}

/** What helm gets from Tugboat, secrets resolved: only ever written to the private file below. */
export async function resolvedValues(ctx: ExecutorContext, config: HelmConfig): Promise<Record<string, unknown>> {
  const values = (await ctx.secrets.resolveDeep(config.values)) as Record<string, unknown>;
  const version = ctx.service.version;
  return config.version_value !== false && version !== undefined ? setValue(values, config.version_value, version) : values;
}

/**
 * Runs `use` with the path of a private values file holding `values` (JSON, which is YAML), and
 * removes it afterwards, whatever happened.
 */
export function withValuesFile<T>(parent: string, values: Record<string, unknown>, use: (file: string) => Promise<T>): Promise<T> {
  return withPrivateFile(parent, 'values-', 'values.json', JSON.stringify(values), use);
}
