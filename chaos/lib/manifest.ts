/**
 * The release a seed deploys, written as a user writes one: release.yaml beside its shell scripts
 * and OpenTofu module. Every side effect leaves a trace the checks count:
 * - shell `run` appends `create <service> <key>` to shell/<service>.log (once per resource: it
 *   checks what exists first, as the README asks of idempotent scripts), `undo` appends
 *   `delete <service> <key>`, `inventory` prints what is live;
 * - the OpenTofu module's create-time provisioner appends `create` to tofu/<service>.log and its
 *   destroy-time provisioner `destroy`: a resource created twice shows two lines.
 * A service targeted mid-apply waits on gates/<service>.open after touching gates/<service>.waiting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ChaosPlan, PlannedService } from './plan';

export interface ReleaseFiles {
  dir: string;
  manifestFile: string;
  name: string;
  environment: string;
  /** Where the traces are: shell/<service>.log, tofu/<service>.log, gates/. */
  shellLog(service: string): string;
  tofuLog(service: string): string;
  gate(service: string): { waiting: string; open: string };
}

const RUN_SH = `#!/bin/sh
# A create that checks first (idempotent by service), with an optional transient first failure and gate.
log="$CHAOS_DIR/shell/$TUGBOAT_SERVICE.log"
if [ "$CHAOS_TRANSIENT" = 1 ] && [ ! -f "$CHAOS_DIR/shell/$TUGBOAT_SERVICE.failed-once" ]; then
  touch "$CHAOS_DIR/shell/$TUGBOAT_SERVICE.failed-once"
  echo "transient failure (chaos)" >&2
  exit 75
fi
if [ "$CHAOS_GATE" = 1 ]; then
  touch "$CHAOS_DIR/gates/$TUGBOAT_SERVICE.waiting"
  while [ ! -f "$CHAOS_DIR/gates/$TUGBOAT_SERVICE.open" ]; do sleep 0.05; done
fi
creates=$(grep -c "^create $TUGBOAT_SERVICE " "$log" 2>/dev/null || true)
deletes=$(grep -c "^delete $TUGBOAT_SERVICE " "$log" 2>/dev/null || true)
if [ "\${creates:-0}" -le "\${deletes:-0}" ]; then echo "create $TUGBOAT_SERVICE $TUGBOAT_IDEMPOTENCY_KEY" >> "$log"; fi
printf '{"outputs": {"id": "%s"}, "resources": [{"id": "%s", "kind": "job"}]}' "job-$TUGBOAT_SERVICE" "job-$TUGBOAT_SERVICE" > "$TUGBOAT_OUTPUTS"
`;

const UNDO_SH = `#!/bin/sh
log="$CHAOS_DIR/shell/$TUGBOAT_SERVICE.log"
creates=$(grep -c "^create $TUGBOAT_SERVICE " "$log" 2>/dev/null || true)
deletes=$(grep -c "^delete $TUGBOAT_SERVICE " "$log" 2>/dev/null || true)
if [ "\${creates:-0}" -gt "\${deletes:-0}" ]; then echo "delete $TUGBOAT_SERVICE $TUGBOAT_IDEMPOTENCY_KEY" >> "$log"; fi
`;

const INVENTORY_SH = `#!/bin/sh
log="$CHAOS_DIR/shell/$TUGBOAT_SERVICE.log"
creates=$(grep -c "^create $TUGBOAT_SERVICE " "$log" 2>/dev/null || true)
deletes=$(grep -c "^delete $TUGBOAT_SERVICE " "$log" 2>/dev/null || true)
if [ "\${creates:-0}" -gt "\${deletes:-0}" ]; then echo "[\\"job-$TUGBOAT_SERVICE\\"]"; else echo "[]"; fi
`;

const MODULE_TF = `variable "log" { type = string }
variable "gate" { type = string }
resource "terraform_data" "r" {
  input = { log = var.log }
  provisioner "local-exec" {
    command = "echo create >> \${var.log}; if [ -n '\${var.gate}' ]; then touch \${var.gate}.waiting; while [ ! -f \${var.gate}.open ]; do sleep 0.05; done; fi"
  }
  provisioner "local-exec" {
    when    = destroy
    command = "echo destroy >> \${self.input.log}"
  }
}
output "id" { value = terraform_data.r.id }
`;

const RETRY = { max_attempts: 10, initial_interval: '200ms', maximum_interval: '2s' };
/**
 * The providers' guards stay on, at the scale of a run of seconds: with the defaults (a 1 min
 * budget window, a 30 s cool-down) a run with 30 % transient failures waits out a whole window.
 */
const RESILIENCE = { breaker: { failures: 5, cool_down: '3s' }, retry_budget: { ratio: 0.2, window: '5s', min_calls: 10 } };

export function writeRelease(dir: string, plan: ChaosPlan, name: string): ReleaseFiles {
  for (const sub of ['shell', 'tofu', 'gates', 'scripts', 'modules/data']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const script = (file: string, body: string) => fs.writeFileSync(path.join(dir, 'scripts', file), body, { mode: 0o755 });
  script('run.sh', RUN_SH);
  script('undo.sh', UNDO_SH);
  script('inventory.sh', INVENTORY_SH);
  fs.writeFileSync(path.join(dir, 'modules', 'data', 'main.tf'), MODULE_TF);

  const gated = new Set(plan.faults.filter((f) => f.point === 'mid-apply' && f.service).map((f) => f.service!));
  const files: ReleaseFiles = {
    dir,
    manifestFile: path.join(dir, 'release.yaml'),
    name,
    environment: 'chaos',
    shellLog: (s) => path.join(dir, 'shell', `${s}.log`),
    tofuLog: (s) => path.join(dir, 'tofu', `${s}.log`),
    gate: (s) => ({ waiting: path.join(dir, 'gates', `${s}.waiting`), open: path.join(dir, 'gates', `${s}.open`) }),
  };
  const manifest = {
    deployment: { name, environment: files.environment, strategy: { resilience: RESILIENCE }, services: plan.services.map((s) => serviceEntry(s, files, gated.has(s.name))) },
  };
  fs.writeFileSync(files.manifestFile, stringify(manifest));
  return files;
}

function serviceEntry(s: PlannedService, files: ReleaseFiles, gated: boolean): Record<string, unknown> {
  const common = { name: s.name, version: '1.0.0', dependencies: s.dependencies, retry: RETRY, rollback_retry: RETRY };
  if (s.kind === 'sim') {
    return { ...common, type: 'kubernetes', executor: 'simulated', simulate: { duration: `${s.durationMs}ms`, fail_permanent: s.failsPermanently } };
  }
  if (s.kind === 'shell') {
    return {
      ...common,
      type: 'shell',
      config: {
        run: ['./scripts/run.sh'],
        undo: ['./scripts/undo.sh'],
        inventory: ['./scripts/inventory.sh'],
        env: { CHAOS_DIR: files.dir, CHAOS_GATE: gated ? '1' : '0', CHAOS_TRANSIENT: s.transientFailures > 0 ? '1' : '0' },
        kill_grace: '2s',
      },
    };
  }
  return {
    ...common,
    type: 'terraform',
    config: {
      module: './modules/data',
      vars: { log: files.tofuLog(s.name), gate: gated ? path.join(files.dir, 'gates', s.name) : '' },
      lock_timeout: '2m',
    },
  };
}
