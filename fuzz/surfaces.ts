/** The surfaces `npm run fuzz` runs, by the name `--only` takes. */
import type { RunOptions, SurfaceReport } from './lib/cases';
import { checkIngressTasks } from './properties/ingress-task';
import { checkManifests } from './properties/manifest';
import { checkOperatorPayloads } from './properties/operator-payloads';
import { checkSimCloudHttp } from './properties/simcloud-http';

export interface NamedSurface {
  name: string;
  run(opts: RunOptions): Promise<SurfaceReport>;
  /** Regenerates case i (for a report of a case that hung). */
  describeCase(seed: number, index: number): Promise<string>;
}

export const SURFACES: NamedSurface[] = [
  {
    name: 'manifests',
    run: checkManifests,
    describeCase: async (seed, i) => {
      const [{ generateCase }, { manifestCase }, { describeManifestCase }] = await Promise.all([import('./lib/cases'), import('./properties/manifest-inputs'), import('./properties/manifest')]);
      return describeManifestCase(generateCase(manifestCase, seed, i));
    },
  },
  {
    name: 'simcloud-http',
    run: checkSimCloudHttp,
    describeCase: async (seed, i) => {
      const [{ generateCase }, { httpCase, describeHttpCase }] = await Promise.all([import('./lib/cases'), import('./properties/simcloud-http')]);
      return describeHttpCase(generateCase(httpCase, seed, i));
    },
  },
  {
    name: 'ingress-task',
    run: checkIngressTasks,
    describeCase: async (seed, i) => {
      const [{ generateCase }, { taskText }] = await Promise.all([import('./lib/cases'), import('./properties/ingress-task')]);
      return JSON.stringify(generateCase(taskText, seed, i));
    },
  },
  {
    name: 'operator-payloads',
    run: checkOperatorPayloads,
    describeCase: async (seed, i) => {
      const [{ generateCase }, { operatorCase }] = await Promise.all([import('./lib/cases'), import('./properties/operator-payloads')]);
      return JSON.stringify(generateCase(operatorCase, seed, i));
    },
  },
];
