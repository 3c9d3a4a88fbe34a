import { describeStep, installedBy, manifestResources, parseHistory, recoveryFor, settledRevision, type Revision } from './release';
import { setValue } from './values';

const rev = (revision: number, status: string, description = ''): Revision => ({ revision, status, chart: 'web-0.1.0', app_version: '1.0.0', description });

describe('helm release state', () => {
  it('reads helm history -o json, oldest first', () => {
    const stdout = JSON.stringify([
      { revision: 2, updated: '2026-01-01T00:00:01Z', status: 'failed', chart: 'web-0.1.0', app_version: '1.0.0', description: 'Upgrade "web" failed: context deadline exceeded' },
      { revision: 1, updated: '2026-01-01T00:00:00Z', status: 'deployed', chart: 'web-0.1.0', app_version: '1.0.0', description: 'tugboat dep-1 web' },
    ]);
    expect(parseHistory(stdout).map((r) => [r.revision, r.status])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    expect(() => parseHistory('{"not":"a list"}')).toThrow(/unexpected shape/);
    expect(() => parseHistory('password=hunter2')).toThrow(/not valid JSON/);
  });

  it('repairs what a killed helm left pending: an install is removed, anything else goes back to what was deployed', () => {
    expect(recoveryFor([])).toEqual({ action: 'none' });
    expect(recoveryFor([rev(1, 'deployed')])).toEqual({ action: 'none' });
    expect(recoveryFor([rev(1, 'pending-install')])).toEqual({ action: 'uninstall' });
    expect(recoveryFor([rev(1, 'deployed'), rev(2, 'failed'), rev(3, 'pending-upgrade')])).toEqual({ action: 'rollback', revision: 1 });
    expect(recoveryFor([rev(1, 'superseded'), rev(2, 'deployed'), rev(3, 'pending-rollback')])).toEqual({ action: 'rollback', revision: 2 });
    expect(recoveryFor([rev(1, 'failed'), rev(2, 'pending-upgrade')])).toEqual({ action: 'rollback', revision: 1 });
  });

  it('takes the last deployed revision as the release\'s state (a failed upgrade since did not replace it)', () => {
    expect(settledRevision([])).toBeUndefined();
    expect(settledRevision([rev(1, 'pending-install')])).toBeUndefined();
    expect(settledRevision([rev(1, 'deployed'), rev(2, 'failed')])?.revision).toBe(1);
    expect(settledRevision([rev(1, 'superseded'), rev(2, 'deployed')])?.revision).toBe(2);
    expect(settledRevision([rev(1, 'failed')])?.revision).toBe(1);
    // A rollback leaves the killed upgrade's revision pending in the history: the newest decides.
    expect(settledRevision([rev(1, 'superseded'), rev(2, 'pending-upgrade'), rev(3, 'deployed')])?.revision).toBe(3);
  });

  it('knows a release this deployment installed by its first revision\'s description', () => {
    const mine = describeStep('dep-1', 'web');
    expect(installedBy([rev(1, 'deployed', mine)], mine)).toBe(true);
    expect(installedBy([rev(1, 'superseded', describeStep('dep-0', 'web')), rev(2, 'deployed', mine)], mine)).toBe(false);
    expect(installedBy([rev(5, 'deployed', mine)], mine)).toBe(false);
  });

  it('lists the objects of a manifest with ids unique across kinds, in the release namespace unless they name one', () => {
    const manifest = `---
# Source: web/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: other }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: web-reader }
---
# Source: web/templates/empty.yaml
`;
    expect(manifestResources(manifest, 'shop')).toEqual([
      { id: 'shop/ConfigMap/web', kind: 'ConfigMap' },
      { id: 'other/Deployment.apps/web', kind: 'Deployment' },
      { id: 'ClusterRole.rbac.authorization.k8s.io/web-reader', kind: 'ClusterRole' },
    ]);
  });

  it('sets the version at a dotted path without touching the values it was given', () => {
    const values = { image: { repository: 'r', tag: 'old' }, app: 'scalar' };
    expect(setValue(values, 'image.tag', 'v2')).toEqual({ image: { repository: 'r', tag: 'v2' }, app: 'scalar' });
    expect(setValue(values, 'app.image.tag', 'v2')).toEqual({ image: { repository: 'r', tag: 'old' }, app: { image: { tag: 'v2' } } });
    expect(setValue({}, 'tag', 'v2')).toEqual({ tag: 'v2' });
    expect(values.image.tag).toBe('old');
  });
});
