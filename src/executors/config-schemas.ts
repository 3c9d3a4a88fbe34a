/**
 * Each executor's `config` schema by name: what `plan` checks a service's config against. Pure
 * (zod only), so the manifest module and workflow code may import it; the executors themselves
 * (which spawn processes and open sockets) are in registry.ts, for the worker only.
 */
import type { z } from 'zod';
import { configSchema, type ExecutorName } from '../manifest/schema';
import { helmConfigSchema } from './helm/schema';
import { httpConfigSchema } from './http/schema';
import { kubectlConfigSchema } from './kubectl/schema';
import { opentofuConfigSchema } from './opentofu/schema';
import { shellConfigSchema } from './shell/schema';

export const EXECUTOR_CONFIG_SCHEMAS: Record<ExecutorName, z.ZodType> = {
  // The simulated cloud takes any config and echoes it back: a demo, not a contract.
  simulated: configSchema,
  shell: shellConfigSchema,
  opentofu: opentofuConfigSchema,
  http: httpConfigSchema,
  kubectl: kubectlConfigSchema,
  helm: helmConfigSchema,
};

/** Executors that cannot run without a config (the simulated one can). */
export const CONFIG_REQUIRED: ReadonlySet<string> = new Set(['shell', 'opentofu', 'http', 'kubectl', 'helm']);
