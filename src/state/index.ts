export * from './types';
export { FileStateStore } from './file-store';
