/** Manifest entries using the shell executor: shown by docs, checked by the tests. */
export const examples: string[] = [
  `- name: migrate
  type: shell
  dependencies: [database]
  config:
    run: [./scripts/migrate.sh, --db, "\${{ services.database.outputs.endpoint }}"]
    undo: [./scripts/migrate.sh, --down]
    verify: [./scripts/check.sh]
    inventory: [./scripts/list.sh]
    env:
      LOG_LEVEL: info
      DB_PASSWORD: { secret: env:DB_PASSWORD }
    transient_exit_codes: [75]`,
  // No undo: a rollback keeps whatever it published (the service is reported as retained).
  `- name: dashboards
  type: monitoring
  executor: shell
  version: "2024.06"
  config:
    run: [grafana-sync, --folder, checkout]
    cwd: ./monitoring
    kill_grace: 30s`,
];
