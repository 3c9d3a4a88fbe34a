/** Every example manifest the README points people to parses and plans: a broken example is a broken first impression. */
import fs from 'node:fs';
import path from 'node:path';
import { loadManifestFile } from '../../src/manifest/load';
import { planDeployment } from '../../src/plan';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const manifests = [
  ...fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')),
  ...fs.readdirSync(path.join(EXAMPLES, 'platform')).filter((f) => f.endsWith('.yaml')).map((f) => path.join('platform', f)),
];

describe('example manifests', () => {
  it('finds the examples', () => {
    expect(manifests).toEqual(expect.arrayContaining(['ecommerce.yaml', 'operators.yaml', 'at-scale.yaml', path.join('platform', 'release.yaml')]));
  });

  it.each(manifests)('%s is valid and plans', async (file) => {
    const { manifest } = await loadManifestFile(path.join(EXAMPLES, file));
    const planned = planDeployment(manifest);
    expect(planned.ok ? planned.plan.order.length : planned.issues).toBe(manifest.deployment.services.length);
  });
});
