/** The simulated cloud: a local HTTP stand-in for Terraform/Kubernetes/… and the test double of "the world". */
export * from './types';
export * from './errors';
export { SimCloudClient, type SimCloudClientOptions } from './client';
export { startSimCloud } from './server';
export { SimCloudStore, emptyState } from './store';
export { SimulatedCloud } from './cloud';
export { resourceKindFor, resourceId, outputsFor } from './resources';
