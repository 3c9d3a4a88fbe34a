/** Which tofu failures are retried: a table of real-world stderr excerpts and the class each must get. */
import { PermanentDeployError, TransientDeployError } from '../errors';
import { classifyTofuFailure, ConnectionError, StateLockedError, ThrottledError, TofuConfigError, TofuKilledError } from './classify';

const exit1 = { code: 1, signal: null };

describe('classifyTofuFailure', () => {
  it.each([
    ['a held state lock', 'Error: Error acquiring the state lock\n\nError message: resource temporarily unavailable', StateLockedError],
    ['AWS throttling', 'Error: reading EC2 VPC: operation error EC2: DescribeVpcs, api error Throttling: Rate exceeded', ThrottledError],
    ['a rate limit', 'Error: creating IAM Role: RequestLimitExceeded: Request limit exceeded.', ThrottledError],
    ['HTTP 429', 'Error: POST https://api.example.com/v1/things: 429 Too Many Requests', ThrottledError],
    ['a connection reset', 'Error: Get "https://ec2.amazonaws.com/": read tcp 10.0.0.2:4431: read: connection reset by peer', ConnectionError],
    ['an i/o timeout', 'Error: Failed to query available provider packages: dial tcp 1.2.3.4:443: i/o timeout', ConnectionError],
    ['a TLS handshake timeout', 'Error: net/http: TLS handshake timeout', ConnectionError],
    ['a deadline', 'Error: waiting for RDS instance: context deadline exceeded', ConnectionError],
    ['S3 slowing us down', 'Error: creating bucket: StatusCode: 503, RequestID: X, api error SlowDown', ThrottledError],
    ['a 503', 'Error: creating bucket: StatusCode: 503, RequestID: X, api error ServiceUnavailable', ConnectionError],
  ])('%s is transient', (_what, stderr, expected) => {
    const err = classifyTofuFailure('tofu apply exited 1', exit1, stderr);
    expect(err).toBeInstanceOf(expected);
    expect(err).toBeInstanceOf(TransientDeployError);
    expect(err.message).toBe('tofu apply exited 1');
  });

  it.each([
    ['an HCL error', 'Error: Unclosed configuration block\n\n  on main.tf line 1, in resource "x":'],
    ['an undeclared variable', 'Error: Reference to undeclared input variable\n\nAn input variable with the name "not_declared" has not been declared.'],
    ['a missing variable', 'Error: No value for required variable\n\nThe root module input variable "cidr" is not set'],
    ['an API refusal', 'Error: creating EC2 VPC: InvalidVpc.Range: The CIDR 10.0.0.0/8 is invalid'],
    ['a variable merely named timeout', 'Error: Invalid value for input variable "timeout": a number is required'],
  ])('%s is permanent', (_what, stderr) => {
    const err = classifyTofuFailure('tofu plan exited 1', exit1, stderr);
    expect(err).toBeInstanceOf(TofuConfigError);
    expect(err).toBeInstanceOf(PermanentDeployError);
  });

  it('a tofu killed by someone else is transient, whatever its stderr', () => {
    expect(classifyTofuFailure('tofu apply was killed by SIGKILL', { code: null, signal: 'SIGKILL' }, '')).toBeInstanceOf(TofuKilledError);
  });
});
