/**
 * The file store writes provider health without an fsync (it is rewritten by every step): a file
 * a power loss left empty or torn must read as a fresh start, never as an error that leaves every
 * step of that provider unguarded.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileStateStore } from '../../src/state';
import type { ProviderHealth } from '../../src/api/resilience';

describe('file store: provider health after a power loss', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tugboat-provider-health-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it.each([
    ['an empty', ''],
    ['a torn', '{\n  "provider": "simulated:h'],
  ])('%s health file reads as absent, is listed as nothing, and the next update starts over', async (_what, content) => {
    const store = new FileStateStore(dir);
    const seen: Array<ProviderHealth | undefined> = [];
    const fresh = (provider: string): ProviderHealth => ({
      provider,
      breaker: { state: 'closed', consecutiveFailures: 0 },
      budget: { windowStart: new Date(0).toISOString(), calls: 1, retries: 0, delayed: 0 },
      updatedAt: new Date(0).toISOString(),
    });
    await store.updateProviderHealth('simulated:host', (current) => fresh(current?.provider ?? 'simulated:host'));
    const [file] = (await fs.readdir(path.join(dir, 'providers'))).filter((f) => f.endsWith('.json'));
    await fs.writeFile(path.join(dir, 'providers', file), content);

    expect(await store.getProviderHealth('simulated:host')).toBeUndefined();
    expect(await store.listProviderHealth()).toEqual([]);
    const next = await store.updateProviderHealth('simulated:host', (current) => {
      seen.push(current);
      return fresh('simulated:host');
    });
    expect(seen).toEqual([undefined]);
    expect(await store.getProviderHealth('simulated:host')).toEqual(next);
  });
});
