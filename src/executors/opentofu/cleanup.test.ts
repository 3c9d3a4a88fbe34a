/** cleanup: a deployment's leftover working copies go when it ends; other deployments' stay. */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir, testDependencies } from '../testing';
import { opentofuExecutor } from '.';

describe('opentofu cleanup', () => {
  const dataDir = tempDir('tofu-cleanup');
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('removes the ended deployment\'s working copies, tfvars included, and nothing else', async () => {
    const work = (dep: string) => path.join(dataDir, 'opentofu', 'work', dep, 'network-apply.k3f9');
    for (const dep of ['dep-ended', 'dep-running']) {
      fs.mkdirSync(work(dep), { recursive: true });
      fs.writeFileSync(path.join(work(dep), 'tugboat.auto.tfvars.json'), '{"db_password":"resolved"}');
    }
    await opentofuExecutor.create(testDependencies(dataDir)).cleanup!('dep-ended');
    expect(fs.existsSync(path.dirname(work('dep-ended')))).toBe(false);
    expect(fs.existsSync(path.join(work('dep-running'), 'tugboat.auto.tfvars.json'))).toBe(true);
  });
});
