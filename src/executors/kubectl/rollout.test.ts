/** Why a rollout is stuck, read from objects as the API server returns them. Pure. */
import type { KubeObject } from './objects';
import { podProblems, selectorString, workloadProblems } from './rollout';

const pod = (status: unknown): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status });

describe('rollout reasons', () => {
  it('turns a label selector into kubectl -l, set-based expressions included', () => {
    expect(selectorString({ matchLabels: { app: 'web' } })).toBe('app=web');
    expect(
      selectorString({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'x', operator: 'NotIn', values: ['c'] },
          { key: 'y', operator: 'Exists' },
          { key: 'z', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier in (a,b),x notin (c),y,!z');
    expect(selectorString({})).toBeUndefined();
  });

  it('reads a progress deadline and a replica failure from the workload', () => {
    const workload: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      status: {
        conditions: [
          { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-1" has timed out progressing.' },
          { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota' },
        ],
      },
    };
    expect(workloadProblems(workload)).toEqual(['ProgressDeadlineExceeded: ReplicaSet "web-1" has timed out progressing.', 'FailedCreate: exceeded quota']);
  });

  it('reads unschedulable pods and stuck containers, each reason once', () => {
    const unschedulable = pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' }] });
    const pulling = pod({
      conditions: [{ type: 'PodScheduled', status: 'True' }],
      containerStatuses: [
        { name: 'api', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x:1"' } } },
        { name: 'side', state: { waiting: { reason: 'ContainerCreating' } } },
      ],
    });
    const ready = pod({ conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'api', state: { running: {} } }] });
    expect(podProblems([unschedulable, unschedulable, pulling, ready])).toEqual([
      'Unschedulable: 0/2 nodes are available',
      'container api: ImagePullBackOff: Back-off pulling image "x:1"',
    ]);
  });
});
