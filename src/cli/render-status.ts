/** `tugboat status` as text: one line per service, wave by wave. */
import type { DeploymentStatus } from '../client/status';
import { describeService } from './watch';

export function renderStatus(status: DeploymentStatus): string {
  const lines = [
    `${status.name} → ${status.environment}   ${status.phase}   ${status.id}`,
    `workflow ${status.workflow_id}, started ${status.started_at}${status.ended_at ? `, ended ${status.ended_at}` : ''}`,
  ];
  status.waves.forEach((wave, i) => {
    lines.push(`wave ${i + 1}`);
    for (const name of wave) lines.push(`  ${name.padEnd(22)} ${describeService(status.services[name])}`);
  });
  if (status.error) lines.push(`error: ${status.error}`);
  return lines.join('\n');
}
