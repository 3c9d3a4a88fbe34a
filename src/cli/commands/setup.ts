import type { Command } from 'commander';
import { TUGBOAT_SEARCH_ATTRIBUTES } from '../../api/search-attributes';
import { connectClient, temporalTarget } from '../../client/connection';
import { CLI_TYPE_NAMES, SearchAttributesMissingError, SearchAttributeTypeError } from '../../client/search-attributes-errors';
import { ensureSearchAttributes, type SearchAttributesReport } from '../../client/search-attributes-setup';
import { CliError, ExitCode } from '../exit-codes';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description("Prepare a Temporal namespace for Tugboat: check its search attributes and add the missing ones.")
    .addHelpText(
      'after',
      `
Tugboat tags every deployment with the search attributes ${TUGBOAT_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}
(all Keyword). Its own dev server has them; any other cluster (docker compose, production,
Temporal Cloud) needs them once per namespace. Safe to run again: it only adds what is missing.
\`tugboat worker\` runs the same check when it starts.

Connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* and temporal.toml
profiles, as every Temporal tool reads them. Adding needs the operator API (admin rights). Where it
is refused (Temporal Cloud with an API key, a cluster with authorization), it prints the commands
for someone who may: \`temporal operator search-attribute create …\`, or on Temporal Cloud the
namespace's page in the Cloud UI or \`tcld namespace search-attributes add …\`.

Exit codes: 0 all present (found or added), 3 refused: Tugboat may not add them, or one exists
with another type (the message says what to run).`,
    )
    .action(async () => {
      const target = temporalTarget();
      const client = await connectClient();
      try {
        const report = await ensureSearchAttributes(client.connection, client.options.namespace);
        process.stdout.write(`${renderReport(report, target.address)}\n`);
      } catch (err) {
        if (err instanceof SearchAttributesMissingError || err instanceof SearchAttributeTypeError) {
          throw new CliError(err.message, ExitCode.refused);
        }
        throw err;
      } finally {
        await client.connection.close();
      }
    });
}

function renderReport(report: SearchAttributesReport, address: string): string {
  const lines = TUGBOAT_SEARCH_ATTRIBUTES.map((key) => {
    const state = report.added.includes(key.name) ? 'added' : 'present';
    return `  ${key.name.padEnd(20)} ${CLI_TYPE_NAMES[key.type].padEnd(8)} ${state}`;
  });
  const summary = report.added.length === 0 ? 'nothing to add' : `added ${report.added.length}`;
  return [`namespace "${report.namespace}" at ${address}: ${summary}`, ...lines].join('\n');
}
