/** The exit code each deployment state deserves: scripts and pipelines branch on these. */
import { ExitCode, exitCodeForStatus } from '../../src/cli/exit-codes';

const status = (phase: string, extra: { orphans?: unknown[]; orphan_check_error?: string } = {}) => ({ phase, orphans: [], ...extra });

describe('exitCodeForStatus', () => {
  it.each([
    ['DEPLOYING', ExitCode.ok],
    ['PAUSED', ExitCode.ok],
    ['BAKING', ExitCode.ok],
    ['SUCCEEDED', ExitCode.ok],
    ['PARTIAL', ExitCode.failed],
    ['ROLLED_BACK', ExitCode.failed],
    ['CANCELLED', ExitCode.failed],
    ['HALTED', ExitCode.needsAttention],
    ['ROLLBACK_BLOCKED', ExitCode.needsAttention],
  ])('%s → %i', (phase, code) => {
    expect(exitCodeForStatus(status(phase))).toBe(code);
  });

  it('orphans, or not knowing, need a person whatever the phase', () => {
    expect(exitCodeForStatus(status('ROLLED_BACK', { orphans: [{ id: 'x' }] }))).toBe(ExitCode.needsAttention);
    expect(exitCodeForStatus(status('ROLLED_BACK', { orphan_check_error: 'unreachable' }))).toBe(ExitCode.needsAttention);
  });
});
