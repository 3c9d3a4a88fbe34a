/** Placeholder: implemented by the bake-window work (issue 10 §4). */
import type { BakeInput, BakeResult } from '../api/workflow-types';
import type { ActivityDependencies } from './index';

export async function bakeRelease(_deps: ActivityDependencies, _input: BakeInput): Promise<BakeResult> {
  return { healthy: true, checks: 0 };
}
