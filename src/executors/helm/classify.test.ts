import { PermanentDeployError, TransientDeployError } from '../errors';
import { KubeApiUnavailableError, KubeForbiddenError } from '../kubectl/classify';
import { ChartError, classifyHelmFailure, ClusterUnreachableError, isReleaseNotFound, ReleaseBusyError, ReleaseNotReadyError, UndoNotSettledError } from './classify';

const exit1 = { code: 1, signal: null };
const classify = (text: string, waited: 'deploy' | 'undo' | false = 'deploy') => classifyHelmFailure('helm failed', exit1, text, waited);

describe('classifyHelmFailure', () => {
  it.each([
    ['UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress', ReleaseBusyError],
    ['Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp 127.0.0.1:6443: connect: connection refused', ClusterUnreachableError],
    ['query: failed to query with labels: Get "https://127.0.0.1:6443/api/v1/namespaces/shop/secrets": context deadline exceeded', KubeApiUnavailableError],
    [
      'UPGRADE FAILED: unable to build kubernetes objects from new release manifest: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request',
      KubeApiUnavailableError,
    ],
  ])('%s is worth retrying', (text, kind) => {
    const err = classify(text);
    expect(err).toBeInstanceOf(kind);
    expect(err).toBeInstanceOf(TransientDeployError);
  });

  it.each([
    ['UPGRADE FAILED: context deadline exceeded', ReleaseNotReadyError],
    ['INSTALLATION FAILED: timed out waiting for the condition', ReleaseNotReadyError],
    ['path "./charts/nope" not found', ChartError],
    ['INSTALLATION FAILED: YAML parse error on web/templates/deployment.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key', ChartError],
    ['template: web/templates/configmap.yaml:6:20: executing "web/templates/configmap.yaml" at <.Values.x.y>: nil pointer evaluating interface {}.y', ChartError],
    ['UPGRADE FAILED: failed to create resource: secrets is forbidden: User "ci" cannot create resource "secrets"', KubeForbiddenError],
  ])('%s is permanent', (text, kind) => {
    const err = classify(text);
    expect(err).toBeInstanceOf(kind);
    expect(err).toBeInstanceOf(PermanentDeployError);
  });

  it('reads a deadline as the release\'s fault only when helm waited for it to deploy', () => {
    expect(classify('context deadline exceeded', false)).toBeInstanceOf(KubeApiUnavailableError);
    // A rollback or an uninstall that has not settled in time is worth another wait (then an operator).
    expect(classify('context deadline exceeded', 'undo')).toBeInstanceOf(UndoNotSettledError);
    expect(classify('context deadline exceeded', 'undo')).toBeInstanceOf(TransientDeployError);
  });

  it('keeps the message it was given', () => {
    expect(classify('UPGRADE FAILED: context deadline exceeded').message).toBe('helm failed');
  });

  it('recognises helm\'s "release: not found" in every command\'s wording', () => {
    expect(isReleaseNotFound('release: not found')).toBe(true);
    expect(isReleaseNotFound('uninstall: Release not loaded: web: release: not found')).toBe(true);
    expect(isReleaseNotFound('path "./web" not found')).toBe(false);
  });
});
