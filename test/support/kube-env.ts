/**
 * What tests use to reach the suite's shared Kubernetes dev cluster (started once by global-setup.ts,
 * like the Temporal server). Each test isolates itself in its own namespace.
 */
import { readTestEnv } from './temporal-env';

/** The kubeconfig of the suite's dev cluster (also in process.env.KUBECONFIG for every test). */
export function testKubeconfig(): string {
  return readTestEnv().kube.kubeconfig;
}

/** kubectl v1.34.4 found or built by global-setup (never a different one from PATH). */
export function kubectlPath(): string {
  return readTestEnv().kube.kubectl;
}

export function helmPath(): string {
  return readTestEnv().kube.helm;
}

/** An environment for a process that should talk to the test cluster with the suite's tools. */
export function kubeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: testKubeconfig(), TUGBOAT_KUBECTL_PATH: kubectlPath(), TUGBOAT_HELM_PATH: helmPath(), ...extra };
}
