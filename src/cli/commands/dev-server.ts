import type { Command } from 'commander';
import { runDevServer } from '../../server/dev-server';
import { tugboatHome } from '../../system/paths';
import { parsePort } from '../options';
import { untilInterrupted } from '../interrupt';

export function registerDevServer(program: Command): void {
  program
    .command('dev-server')
    .description('Run a local Temporal dev server with the Web UI and Tugboat\'s search attributes (data kept in TUGBOAT_HOME).')
    .option('--port <port>', 'gRPC port', parsePort, 7233)
    .option('--ui-port <port>', 'Web UI port', parsePort, 8233)
    .addHelpText(
      'after',
      '\nThe `temporal` binary comes from TEMPORAL_CLI_PATH, PATH, Tugboat\'s cache, or is built once with Go\n(about 4 minutes). A server already answering on the port is reused.',
    )
    .action(async (opts: { port: number; uiPort: number }) => {
      const server = await runDevServer({
        home: tugboatHome(),
        port: opts.port,
        uiPort: opts.uiPort,
        log: (msg) => process.stdout.write(`${msg}\n`),
      });
      if (server.reused) {
        process.stdout.write(`a Temporal server already answers on ${server.address}; using it\n`);
        return;
      }
      process.stdout.write(`Temporal dev server on ${server.address}; Web UI ${server.uiUrl ?? '(none)'}; Ctrl-C to stop\n`);
      await untilInterrupted();
      await server.stop();
    });
}
