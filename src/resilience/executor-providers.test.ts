/** Each executor names the provider its services call: the key of their shared breaker and budget. */
import fs from 'node:fs';
import { serviceSchema, type ServiceInput } from '../manifest/schema';
import { helmExecutor } from '../executors/helm';
import { httpExecutor } from '../executors/http';
import { kubectlExecutor } from '../executors/kubectl';
import { simulatedExecutor } from '../executors/simulated';
import { tempDir, testDependencies } from '../executors/testing';

const dir = tempDir('providers');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const deps = testDependencies(dir, { simCloudUrl: 'http://127.0.0.1:4780', env: { KUBECONFIG: '/home/ops/.kube/config' } });
const service = (input: Partial<ServiceInput>) => serviceSchema.parse({ name: 'api', type: 'shell', ...input });

describe('executor providers', () => {
  it('simulated: the simulated cloud it calls', () => {
    expect(simulatedExecutor.create(deps).provider?.(service({ executor: 'simulated' }))).toBe('simulated:127.0.0.1:4780');
  });

  it('http: the host and port of its request', () => {
    const api = service({ type: 'http', executor: 'http', config: { request: { method: 'POST', url: 'https://deploy.example.com/api/releases' } } });
    expect(httpExecutor.create(deps).provider?.(api)).toBe('http:deploy.example.com:443');
  });

  it('kubectl and helm: the kubeconfig context, else the worker\'s KUBECONFIG, one provider for both', () => {
    const k8s = service({ type: 'kubernetes', executor: 'kubectl', config: { manifests: './k8s', context: 'prod' } });
    expect(kubectlExecutor.create(deps).provider?.(k8s)).toBe('kubernetes:context=prod');
    const chart = service({ type: 'kubernetes', executor: 'helm', config: { chart: './chart' } });
    expect(helmExecutor.create(deps).provider?.(chart)).toBe('kubernetes:/home/ops/.kube/config');
  });
});
