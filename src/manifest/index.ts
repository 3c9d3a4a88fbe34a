/** The pure manifest API (safe in workflow code). File loading lives in ./load (Node only). */
export * from './schema';
export * from './errors';
export * from './suggest';
export * from './validate';
export * from './parse';
export * from './references';
export { describeValue } from './zod-issues';
