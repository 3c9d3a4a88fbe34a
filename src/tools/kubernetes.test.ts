import { findKubectl, KUBECTL_SPEC, stagingModules } from './kubernetes';

describe('stagingModules', () => {
  it("reads the modules Kubernetes' go.mod points at its staging tree, in both replace forms", () => {
    const goMod = [
      'module k8s.io/kubernetes',
      'require k8s.io/api v0.0.0',
      'replace (',
      '\tk8s.io/api => ./staging/src/k8s.io/api',
      '\tk8s.io/client-go v0.0.0 => ./staging/src/k8s.io/client-go',
      '\tgithub.com/some/fork => github.com/other/fork v1.2.3',
      ')',
      'replace k8s.io/kubectl => ./staging/src/k8s.io/kubectl',
    ].join('\n');
    expect(stagingModules(goMod)).toEqual(['k8s.io/api', 'k8s.io/client-go', 'k8s.io/kubectl']);
  });
});

describe('findKubectl', () => {
  it('takes TUGBOAT_KUBECTL_PATH first, and says every way to get kubectl when nothing is found', async () => {
    const self = process.execPath; // any executable file
    await expect(findKubectl({ env: { TUGBOAT_KUBECTL_PATH: self }, build: false })).resolves.toBe(self);
    const nowhere = { PATH: '/nonexistent', XDG_CACHE_HOME: '/nonexistent/cache' };
    await expect(findKubectl({ env: nowhere, build: false })).rejects.toThrow(/TUGBOAT_KUBECTL_PATH[\s\S]*PATH[\s\S]*npm run tools kubernetes/);
    expect(KUBECTL_SPEC.companions).toEqual(expect.arrayContaining(['kube-apiserver', 'etcd']));
  });
});
