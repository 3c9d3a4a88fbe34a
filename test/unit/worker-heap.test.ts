/** The workflow thread's heap limit: read from TUGBOAT_WORKFLOW_HEAP_MB, applied only when the process was given none. */
import { DEFAULT_WORKFLOW_HEAP_MB, parseWorkflowHeapMb, workerSettingsFromEnv } from '../../src/worker/config';
import { limitWorkflowHeap, workflowCacheSize } from '../../src/worker';

describe('the workflow heap limit', () => {
  it('defaults to DEFAULT_WORKFLOW_HEAP_MB; `default` leaves V8 its own limit', () => {
    expect(workerSettingsFromEnv({}).workflowHeapMb).toBe(DEFAULT_WORKFLOW_HEAP_MB);
    expect(workerSettingsFromEnv({ TUGBOAT_WORKFLOW_HEAP_MB: '1024' }).workflowHeapMb).toBe(1024);
    expect(workerSettingsFromEnv({ TUGBOAT_WORKFLOW_HEAP_MB: 'default' })).not.toHaveProperty('workflowHeapMb');
  });

  it('rejects what is not a size of at least 256 MB, naming the setting', () => {
    for (const bad of ['big', '100', '512MB', '-1', '1.5e3']) {
      expect(() => parseWorkflowHeapMb(bad)).toThrow(/TUGBOAT_WORKFLOW_HEAP_MB is not a size in MB of at least 256/);
    }
  });

  it('sizes the workflow cache by the SDK rule for that heap', () => {
    expect(workflowCacheSize(512)).toBe(182);
    expect(workflowCacheSize(4144)).toBe(2310); // the SDK's own default under V8's 4 GB limit
    expect(workflowCacheSize(256)).toBe(32);
  });

  it('leaves a limit given to the process (--max-old-space-size) alone, and does nothing when unset', () => {
    expect(limitWorkflowHeap(undefined)).toBe(false);
    expect(limitWorkflowHeap(512, '--max-old-space-size=2048')).toBe(false);
    expect(limitWorkflowHeap(512, '--require x.js --max_old_space_size=2048')).toBe(false);
  });
});
