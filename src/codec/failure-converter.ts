/**
 * Loaded by the SDK through DataConverter.failureConverterPath (./index.ts) when payloads are
 * encrypted: failure messages and stack traces move into a payload (encoded attributes), so the
 * codec encrypts them too instead of leaving them in plain text in the history.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
