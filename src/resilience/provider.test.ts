/** Which provider a service's calls go to. */
import { serviceSchema } from '../manifest/schema';
import { hostProvider, kubernetesProvider, providerOf } from './provider';

const service = (extra: object = {}) => serviceSchema.parse({ name: 'api', type: 'http', executor: 'http', ...extra });

describe('providerOf', () => {
  it('takes the service\'s resilience.provider, then the deployment\'s, then the executor\'s answer, then the executor\'s name', () => {
    const executor = { provider: () => 'http:api.example.com:443' };
    expect(providerOf(service({ resilience: { provider: 'acme' } }), executor, { provider: 'dep' })).toBe('acme');
    expect(providerOf(service(), executor, { provider: 'dep' })).toBe('dep');
    expect(providerOf(service(), executor)).toBe('http:api.example.com:443');
    expect(providerOf(service(), {})).toBe('http');
    expect(providerOf(service(), undefined)).toBe('http');
  });

  it('falls back to the executor\'s name when the executor cannot read the config', () => {
    const executor = {
      provider: () => {
        throw new Error('bad config');
      },
    };
    expect(providerOf(service(), executor)).toBe('http');
  });
});

describe('hostProvider and kubernetesProvider', () => {
  it.each([
    ['https://api.example.com/x', 'http:api.example.com:443'],
    ['http://127.0.0.1:8080/a?b', 'http:127.0.0.1:8080'],
    ['http://[::1]/a', 'http:[::1]:80'],
    ['ftp://example.com', undefined],
    ['not a url', undefined],
  ])('%s → %s', (url, expected) => {
    expect(hostProvider('http', url)).toBe(expected);
  });

  it('names the cluster by context, else by KUBECONFIG, else the default kubeconfig', () => {
    expect(kubernetesProvider('prod', { KUBECONFIG: '/k' })).toBe('kubernetes:context=prod');
    expect(kubernetesProvider(undefined, { KUBECONFIG: '/k' })).toBe('kubernetes:/k');
    expect(kubernetesProvider(undefined, {})).toBe('kubernetes');
  });
});
