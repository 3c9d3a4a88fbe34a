/** The workflow bundle's entry point: every workflow type the worker registers. */
export { deploymentWorkflow } from './deployment';
export { serviceWorkflow } from './service';
export { preflightWorkflow } from './preflight';
export { rollbackReleaseWorkflow } from './rollback-release';
export { ingressTaskWorkflow } from './ingress-task';
