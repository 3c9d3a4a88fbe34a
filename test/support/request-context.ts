/** What operator rules see of a deployment: DEPLOYING, nothing decided or paused, unless a test says otherwise. */
import type { RequestContext } from '../../src/workflows/operator-rules';

export const requestContext = (over: Partial<RequestContext> = {}): RequestContext => ({
  phase: 'DEPLOYING',
  awaitingDecision: false,
  decided: false,
  continuePending: false,
  blocked: [],
  paused: false,
  halted: false,
  services: {},
  decidedApprovals: [],
  ...over,
});
