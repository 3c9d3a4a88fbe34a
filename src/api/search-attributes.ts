/**
 * Tugboat's search attributes: one definition, used by the workflow (upserts), the client (start,
 * list) and the dev server (registration). Imports only @temporalio/common so Node code can load
 * it without the workflow package.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TUGBOAT_DEPLOYMENT = defineSearchAttributeKey('TugboatDeployment', SearchAttributeType.KEYWORD);
export const TUGBOAT_ENVIRONMENT = defineSearchAttributeKey('TugboatEnvironment', SearchAttributeType.KEYWORD);
export const TUGBOAT_PHASE = defineSearchAttributeKey('TugboatPhase', SearchAttributeType.KEYWORD);

/** Every key with its type, for `temporal server start-dev --search-attribute Name=Type`. */
export const TUGBOAT_SEARCH_ATTRIBUTES = [TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT, TUGBOAT_PHASE] as const;
