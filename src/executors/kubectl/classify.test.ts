/** Which kubectl failures are retried: real stderr excerpts (kubectl 1.34) and the class each must get. */
import { PermanentDeployError, TransientDeployError } from '../errors';
import {
  classifyKubeFailure,
  KubeApiUnavailableError,
  KubeConflictError,
  KubectlError,
  KubectlKilledError,
  KubeForbiddenError,
  KubeInvalidObjectError,
  KubeServerError,
  KubeThrottledError,
  KubeUnknownKindError,
} from './classify';

const exit1 = { code: 1, signal: null };

describe('classifyKubeFailure', () => {
  it.each([
    ['a refused connection', 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?', KubeApiUnavailableError],
    ['an unreachable server', 'Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout', KubeApiUnavailableError],
    [
      'an unreachable server while kubectl validates (not an invalid object)',
      'error: error validating "objects.json": error validating data: failed to download openapi: Get "https://127.0.0.1:6443/openapi/v2?timeout=32s": dial tcp 127.0.0.1:6443: connect: connection refused; if you choose to ignore these errors, turn validation off with --validate=false',
      KubeApiUnavailableError,
    ],
    ['a watch that closed under a rollout', 'error: watch closed before UntilWithoutRetry timeout', KubeApiUnavailableError],
    ['a TLS handshake timeout', 'Unable to connect to the server: net/http: TLS handshake timeout', KubeApiUnavailableError],
    ['a 503', 'Error from server (ServiceUnavailable): the server is currently unable to handle the request', KubeApiUnavailableError],
    ['a server timeout', 'Error from server (Timeout): the server was unable to return a response in the time allotted, but may still be processing the request', KubeApiUnavailableError],
    ['a 429', 'Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later', KubeThrottledError],
    ['a 500', 'Error from server (InternalError): Internal error occurred: resource quota evaluation timed out', KubeServerError],
    [
      'an unreachable webhook',
      'Error from server (InternalError): error when creating "x.yaml": Internal error occurred: failed calling webhook "v.example.com": Post "https://svc:443/validate": dial tcp 10.96.0.9:443: connect: connection refused',
      KubeApiUnavailableError,
    ],
    [
      'a conflict',
      'Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      KubeConflictError,
    ],
    [
      'a namespace being deleted',
      'Error from server (Forbidden): error when creating "/tmp/x.yaml": configmaps "cfg" is forbidden: unable to create new content in namespace shop because it is being terminated',
      KubeConflictError,
    ],
  ])('%s is transient', (_what, stderr, expected) => {
    const err = classifyKubeFailure('kubectl apply exited 1', exit1, stderr);
    expect(err).toBeInstanceOf(expected);
    expect(err).toBeInstanceOf(TransientDeployError);
    expect(err.message).toBe('kubectl apply exited 1');
  });

  it.each([
    ['a 422', 'The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`', KubeInvalidObjectError],
    ['client-side validation', 'error: error validating "/tmp/x.yaml": error validating data: ValidationError(Deployment.spec): unknown field "replica"', KubeInvalidObjectError],
    ['a bad request', 'Error from server (BadRequest): error when creating "x.yaml": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field', KubeInvalidObjectError],
    ['forbidden', 'Error from server (Forbidden): deployments.apps "web" is forbidden: User "dev" cannot patch resource "deployments" in API group "apps" in the namespace "shop"', KubeForbiddenError],
    ['unauthorized', 'error: You must be logged in to the server (Unauthorized)', KubeForbiddenError],
    ['an unknown kind', 'error: resource mapping not found for name: "w" namespace: "" from "x.yaml": no matches for kind "Widget" in version "example.com/v1"', KubeUnknownKindError],
    ['an unknown resource type', 'error: the server doesn\'t have a resource type "widgets"', KubeUnknownKindError],
    ['anything else', 'error: something nobody expected', KubectlError],
  ])('%s is permanent', (_what, stderr, expected) => {
    const err = classifyKubeFailure('kubectl apply exited 1', exit1, stderr);
    expect(err).toBeInstanceOf(expected);
    expect(err).toBeInstanceOf(PermanentDeployError);
  });

  it('an invalid object beside a server error is permanent: the retry would meet it again', () => {
    const stderr = ['Error from server (InternalError): Internal error occurred: etcd hiccup', 'The ConfigMap "x" is invalid: data: Invalid value: "a b"'].join('\n');
    expect(classifyKubeFailure('kubectl apply exited 1', exit1, stderr)).toBeInstanceOf(KubeInvalidObjectError);
  });

  it('names that merely contain numbers or words are no evidence', () => {
    expect(classifyKubeFailure('x', exit1, 'error: deployments.apps "web-429" not found in "timeout-503"')).toBeInstanceOf(KubectlError);
  });

  it('a kubectl killed by someone else is transient, whatever its stderr', () => {
    expect(classifyKubeFailure('kubectl apply was killed by SIGKILL', { code: null, signal: 'SIGKILL' }, '')).toBeInstanceOf(KubectlKilledError);
  });
});
