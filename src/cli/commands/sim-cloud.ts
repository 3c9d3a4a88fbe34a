import type { Command } from 'commander';
import { startSimCloud } from '../../simcloud';
import { simCloudStateFile } from '../../system/paths';
import { DEFAULT_SIMCLOUD_PORT } from '../../worker/config';
import { parsePort } from '../options';
import { untilInterrupted } from '../interrupt';

export function registerSimCloud(program: Command): void {
  program
    .command('sim-cloud')
    .description('Run the simulated cloud: the local target of the simulated executor (resources, health, faults).')
    .option('--port <port>', 'port to listen on', parsePort, DEFAULT_SIMCLOUD_PORT)
    .option('--state <file>', 'JSON state file (default <TUGBOAT_HOME>/simcloud.json)')
    .addHelpText('after', '\nInspect it: curl localhost:4780/resources, /calls, /health/<service>.')
    .action(async (opts: { port: number; state?: string }) => {
      const stateFile = opts.state ?? simCloudStateFile();
      const server = await startSimCloud({ port: opts.port, stateFile });
      process.stdout.write(`sim cloud on ${server.url} (state ${stateFile}); Ctrl-C to stop\n`);
      await untilInterrupted();
      await server.close();
    });
}
