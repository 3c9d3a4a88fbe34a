/** A prebuilt workflow bundle is used only while no compiled file beside it is newer. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentBundle } from '../../src/worker/prebuilt-bundle';

describe('currentBundle', () => {
  let dist: string;
  beforeEach(() => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-dist-'));
    fs.mkdirSync(path.join(dist, 'workflows'));
  });
  afterEach(() => fs.rmSync(dist, { recursive: true, force: true }));

  const at = (file: string, seconds: number) => {
    fs.writeFileSync(file, '// compiled');
    fs.utimesSync(file, seconds, seconds);
  };

  it('is the bundle when it was written after everything compiled', () => {
    at(path.join(dist, 'workflows', 'index.js'), 1_000);
    at(path.join(dist, 'workflow-bundle.js'), 2_000);
    expect(currentBundle(path.join(dist, 'workflow-bundle.js'))).toEqual({ codePath: path.join(dist, 'workflow-bundle.js') });
  });

  it('is not made stale by the other bundle written after it (npm run build writes two)', () => {
    at(path.join(dist, 'workflows', 'index.js'), 1_000);
    at(path.join(dist, 'workflow-bundle.js'), 2_000);
    at(path.join(dist, 'workflow-bundle-encrypting.js'), 3_000);
    expect(currentBundle(path.join(dist, 'workflow-bundle.js'))).toEqual({ codePath: path.join(dist, 'workflow-bundle.js') });
  });

  it('is nothing when a compiled file is newer (tsc ran without bundling) or there is no bundle', () => {
    at(path.join(dist, 'workflow-bundle.js'), 2_000);
    at(path.join(dist, 'workflows', 'index.js'), 3_000);
    expect(currentBundle(path.join(dist, 'workflow-bundle.js'))).toBeUndefined();
    expect(currentBundle(path.join(dist, 'missing.js'))).toBeUndefined();
  });
});
