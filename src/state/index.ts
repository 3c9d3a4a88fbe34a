export * from './types';
export { FileStateStore } from './file-store';
export { PgStateStore } from './pg/pg-store';
export { DEFAULT_SCHEMA, type PostgresTarget } from './pg/target';
export { openStateStore, stateStoreSetting, STATE_STORE_ENV, type OpenedStateStore, type OpenStateStoreOptions, type StateStoreSetting } from './open-store';
