/** Manifest parsing and validation: every error kind with its path and its fix, all reported at once. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  didYouMean,
  formatIssues,
  formatPath,
  ManifestError,
  parseManifestText,
  validateManifest,
  validateManifestOrThrow,
  type ManifestIssue,
} from '../../src/manifest';
import { loadManifestFile } from '../../src/manifest/load';

const SEED_PATH = join(__dirname, '..', 'fixtures', 'seed-ecommerce.yaml');
const SEED_TEXT = readFileSync(SEED_PATH, 'utf8');
const TYPES = 'terraform, kubernetes, docker, monitoring, shell, http';

type Raw = { deployment: Record<string, unknown> & { services: Record<string, unknown>[] } };

/** The seed as a plain object, fresh for every test so mutations do not leak. */
function seed(): Raw {
  const parsed = parseManifestText(SEED_TEXT, 'seed-ecommerce.yaml');
  if (!parsed.ok) throw new Error(formatIssues(parsed.issues));
  return structuredClone(parsed.raw) as Raw;
}

function issuesOf(raw: unknown): ManifestIssue[] {
  const result = validateManifest(raw);
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.issues;
}

describe('validateManifest: the seed', () => {
  it('accepts the seed and fills in every default', () => {
    const result = validateManifest(seed());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { deployment } = result.manifest;
    expect(deployment.strategy).toEqual({ max_parallel: 10, execution: 'eager', on_failure: 'rollback' });
    expect(deployment.services.map((s) => s.name)).toEqual([
      'vpc',
      'rds-database',
      'k8s-cluster',
      'backend-api',
      'frontend-app',
      'monitoring',
    ]);
    const vpc = deployment.services[0];
    expect(vpc.retry).toEqual({ max_attempts: 3, initial_interval: '1s', backoff: 2, maximum_interval: '1m', jitter: true });
    expect(vpc.on_rollback).toBe('restore');
    expect(vpc.timeout).toBe('5m');
    // No executor and no simulate block: the type decides (terraform → opentofu, kubernetes → kubectl; monitoring has none yet).
    expect(vpc.executor).toBe('opentofu');
    expect(deployment.services.map((s) => s.executor)).toEqual(['opentofu', 'opentofu', 'kubectl', 'kubectl', 'kubectl', 'unassigned']);
    expect(vpc.resources).toEqual([]);
    expect(vpc.simulate).toBeUndefined();
    expect(deployment.services[3].dependencies).toEqual(['k8s-cluster', 'rds-database']);
    expect(deployment.health_checks).toEqual([
      { endpoint: 'https://api.example.com/health', expected_status: 200, timeout: '5s', retries: 3 },
    ]);
    expect(deployment.rollback_strategy).toBe('automated');
  });
});

describe('validateManifest: one problem, one precise issue', () => {
  const cases: { name: string; mutate: (raw: Raw) => unknown; expected: ManifestIssue[] }[] = [
    {
      name: 'misspelt service key',
      mutate: (raw) => {
        raw.deployment.services[0].dependences = raw.deployment.services[0].dependencies;
        delete raw.deployment.services[0].dependencies;
        return raw;
      },
      expected: [{ path: 'deployment.services[0]', message: 'unknown key "dependences"; did you mean "dependencies"?' }],
    },
    {
      name: 'two unknown keys give two issues',
      mutate: (raw) => {
        raw.deployment.services[1].confg = 'x';
        raw.deployment.services[1].versoin = '1.0';
        return raw;
      },
      expected: [
        { path: 'deployment.services[1]', message: 'unknown key "confg"; did you mean "config"?' },
        { path: 'deployment.services[1]', message: 'unknown key "versoin"; did you mean "version"?' },
      ],
    },
    {
      name: 'key placed one level too high',
      mutate: (raw) => {
        raw.deployment.max_parallel = 3;
        return raw;
      },
      expected: [{ path: 'deployment', message: 'unknown key "max_parallel" here; it belongs under deployment.strategy' }],
    },
    {
      name: 'unknown key with no near match lists the allowed keys',
      mutate: (raw) => {
        raw.deployment.services[2].colour = 'blue';
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[2]',
          message:
            'unknown key "colour"; allowed keys are name, type, dependencies, config, version, executor, timeout, retry, rollback_retry, verify_timeout, resources, on_rollback, simulate, health_check, approval, task_queue, resilience',
        },
      ],
    },
    {
      name: 'missing type',
      mutate: (raw) => {
        delete raw.deployment.services[2].type;
        return raw;
      },
      expected: [{ path: 'deployment.services[2].type', message: `required; one of ${TYPES}` }],
    },
    {
      name: 'missing name',
      mutate: (raw) => {
        delete raw.deployment.services[5].name;
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[5].name',
          message: 'required; expected a name of lowercase letters, digits and "-" (e.g. "backend-api")',
        },
      ],
    },
    {
      name: 'misspelt enum value',
      mutate: (raw) => {
        raw.deployment.services[3].type = 'kubernets';
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[3].type',
          message: `"kubernets" is not one of ${TYPES}; did you mean "kubernetes"?`,
        },
      ],
    },
    {
      name: 'enum value with no near match',
      mutate: (raw) => {
        raw.deployment.rollback_strategy = 'never';
        return raw;
      },
      expected: [{ path: 'deployment.rollback_strategy', message: '"never" is not one of automated, manual' }],
    },
    {
      name: 'strategy execution typo',
      mutate: (raw) => {
        raw.deployment.strategy = { execution: 'wave' };
        return raw;
      },
      expected: [{ path: 'deployment.strategy.execution', message: '"wave" is not one of eager, waves; did you mean "waves"?' }],
    },
    {
      name: 'wrong type: a string where a list belongs',
      mutate: (raw) => {
        raw.deployment.services[1].dependencies = 'vpc';
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[1].dependencies',
          message: 'expected a list, got "vpc"; for a single entry write [vpc]',
        },
      ],
    },
    {
      name: 'wrong type: a string where a number belongs',
      mutate: (raw) => {
        raw.deployment.strategy = { max_parallel: '3' };
        return raw;
      },
      expected: [{ path: 'deployment.strategy.max_parallel', message: 'expected a number, got "3"' }],
    },
    {
      name: 'number out of range',
      mutate: (raw) => {
        raw.deployment.strategy = { max_parallel: 0 };
        return raw;
      },
      expected: [{ path: 'deployment.strategy.max_parallel', message: 'must be at least 1, got 0' }],
    },
    {
      name: 'fractional attempts',
      mutate: (raw) => {
        raw.deployment.services[0].retry = { max_attempts: 2.5 };
        return raw;
      },
      expected: [{ path: 'deployment.services[0].retry.max_attempts', message: 'expected a whole number, got 2.5' }],
    },
    {
      name: 'bad duration',
      mutate: (raw) => {
        raw.deployment.services[4].timeout = '5 minutes';
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[4].timeout',
          message:
            '"5 minutes" is not a valid duration; expected a duration such as "500ms", "30s", "5m" or "1h" (a bare number means milliseconds)',
        },
      ],
    },
    {
      name: 'duration of the wrong type',
      mutate: (raw) => {
        raw.deployment.services[0].simulate = { duration: true };
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[0].simulate.duration',
          message:
            'true is not a valid duration; expected a duration such as "500ms", "30s", "5m" or "1h" (a bare number means milliseconds)',
        },
      ],
    },
    {
      name: 'bad URL',
      mutate: (raw) => {
        (raw.deployment.health_checks as Record<string, unknown>[])[0].endpoint = 'api.example.com/health';
        return raw;
      },
      expected: [
        {
          path: 'deployment.health_checks[0].endpoint',
          message:
            '"api.example.com/health" is not a valid URL; expected an absolute http(s) URL such as "https://api.example.com/health"',
        },
      ],
    },
    {
      name: 'non-http URL',
      mutate: (raw) => {
        (raw.deployment.health_checks as Record<string, unknown>[])[0].endpoint = 'ftp://example.com/health';
        return raw;
      },
      expected: [
        {
          path: 'deployment.health_checks[0].endpoint',
          message:
            '"ftp://example.com/health" is not a valid URL; expected an absolute http(s) URL such as "https://api.example.com/health"',
        },
      ],
    },
    {
      name: 'invalid name',
      mutate: (raw) => {
        raw.deployment.name = 'Shop_Prod';
        return raw;
      },
      expected: [
        {
          path: 'deployment.name',
          message: '"Shop_Prod" is not a valid name; use lowercase letters, digits and "-" (e.g. "backend-api")',
        },
      ],
    },
    {
      name: 'config of the wrong type',
      mutate: (raw) => {
        raw.deployment.services[0].config = 5;
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[0].config',
          message: 'expected a path string (e.g. "./terraform/vpc") or a mapping of settings, got 5',
        },
      ],
    },
    {
      name: 'a service that is not a mapping',
      mutate: (raw) => {
        (raw.deployment.services as unknown[]).push('cache');
        return raw;
      },
      expected: [{ path: 'deployment.services[6]', message: 'expected a mapping (key: value), got "cache"' }],
    },
    {
      name: 'no services',
      mutate: (raw) => {
        raw.deployment.services = [];
        return raw;
      },
      expected: [{ path: 'deployment.services', message: 'a deployment needs at least one service' }],
    },
    {
      name: 'no deployment at all',
      mutate: () => ({}),
      expected: [{ path: 'deployment', message: 'required; expected a mapping (key: value)' }],
    },
    {
      name: 'not a mapping at the top',
      mutate: () => ['deployment'],
      expected: [{ path: 'manifest', message: 'expected a mapping (key: value), got a list' }],
    },
    {
      name: 'duplicate service names',
      mutate: (raw) => {
        raw.deployment.services[4].name = 'rds-database';
        raw.deployment.services[5].dependencies = ['k8s-cluster'];
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[4].name',
          message: 'duplicate service "rds-database" (also deployment.services[1]); service names must be unique',
        },
      ],
    },
    {
      name: 'self dependency',
      mutate: (raw) => {
        raw.deployment.services[5].dependencies = ['k8s-cluster', 'monitoring'];
        return raw;
      },
      expected: [
        { path: 'deployment.services[5].dependencies[1]', message: '"monitoring" cannot depend on itself; remove this entry' },
      ],
    },
    {
      name: 'dependency listed twice',
      mutate: (raw) => {
        raw.deployment.services[3].dependencies = ['k8s-cluster', 'rds-database', 'k8s-cluster'];
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[3].dependencies[2]',
          message: '"k8s-cluster" is listed twice (also dependencies[0]); remove the duplicate',
        },
      ],
    },
    {
      name: 'unknown dependency with a near match',
      mutate: (raw) => {
        raw.deployment.services[3].dependencies = ['rds', 'k8s-cluster'];
        return raw;
      },
      expected: [
        { path: 'deployment.services[3].dependencies[0]', message: 'unknown service "rds"; did you mean "rds-database"?' },
      ],
    },
    {
      name: 'unknown dependency with a typo',
      mutate: (raw) => {
        raw.deployment.services[4].dependencies = ['k8s-cluster', 'backend-apl'];
        return raw;
      },
      expected: [
        { path: 'deployment.services[4].dependencies[1]', message: 'unknown service "backend-apl"; did you mean "backend-api"?' },
      ],
    },
    {
      name: 'unknown dependency with nothing close',
      mutate: (raw) => {
        raw.deployment.services = [{ name: 'web', type: 'shell', dependencies: ['queue'] }, { name: 'db', type: 'shell' }];
        return raw;
      },
      expected: [
        {
          path: 'deployment.services[0].dependencies[0]',
          message: 'unknown service "queue"; declare it under deployment.services or use one of db',
        },
      ],
    },
  ];

  it.each(cases)('$name', ({ mutate, expected }) => {
    expect(issuesOf(mutate(seed()))).toEqual(expected);
  });

  it('never shows zod wording', () => {
    const raw = seed();
    raw.deployment.environment = 7;
    raw.deployment.services[0].type = undefined;
    raw.deployment.services[1].retry = { backoff: 'fast', jitter: 'yes' };
    raw.deployment.services[2].resources = [''];
    raw.deployment.health_checks = [{}];
    const issues = issuesOf(raw);
    expect(issues).toHaveLength(6);
    for (const issue of issues) expect(issue.message).not.toMatch(/Invalid input|received|Too small|Unrecognized/);
    expect(issues).toContainEqual({ path: 'deployment.services[2].resources[0]', message: 'must not be empty' });
    expect(issues).toContainEqual({ path: 'deployment.services[1].retry.jitter', message: 'expected true or false, got "yes"' });
  });
});

describe('validateManifest: every problem at once', () => {
  it('reports schema and semantic problems from different places together', () => {
    const raw = seed();
    raw.deployment.services[0].dependences = [];
    raw.deployment.services[2].type = 'k8s';
    raw.deployment.services[3].dependencies = ['rds', 'k8s-cluster'];
    expect(issuesOf(raw)).toEqual([
      { path: 'deployment.services[0]', message: 'unknown key "dependences"; did you mean "dependencies"?' },
      { path: 'deployment.services[2].type', message: `"k8s" is not one of ${TYPES}` },
      { path: 'deployment.services[3].dependencies[0]', message: 'unknown service "rds"; did you mean "rds-database"?' },
    ]);
  });

  it('still checks dependencies when a service entry is malformed', () => {
    const raw = seed();
    (raw.deployment.services as unknown[])[0] = 42;
    const paths = issuesOf(raw).map((issue) => issue.path);
    expect(paths).toEqual([
      'deployment.services[0]',
      'deployment.services[1].dependencies[0]',
      'deployment.services[2].dependencies[0]',
    ]);
  });

  it('validateManifestOrThrow throws a ManifestError with one line per issue', () => {
    const raw = seed();
    raw.deployment.services[1].type = 'terraform2';
    raw.deployment.services[5].dependencies = ['k8s'];
    let thrown: unknown;
    try {
      validateManifestOrThrow(raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ManifestError);
    const error = thrown as ManifestError;
    expect(error.issues).toHaveLength(2);
    expect(error.message.split('\n')).toEqual([
      `deployment.services[1].type: "terraform2" is not one of ${TYPES}; did you mean "terraform"?`,
      'deployment.services[5].dependencies[0]: unknown service "k8s"; did you mean "k8s-cluster"?',
    ]);
  });

  it('validateManifestOrThrow returns the manifest when valid', () => {
    expect(validateManifestOrThrow(seed()).deployment.name).toBe('ecommerce-app-production');
  });
});

describe('paths and formatting', () => {
  it.each([
    [[], 'manifest'],
    [['deployment'], 'deployment'],
    [['deployment', 'services', 3, 'dependencies', 0], 'deployment.services[3].dependencies[0]'],
    [['deployment', 'services', 0, 'config', 'api-url'], 'deployment.services[0].config.api-url'],
    [['deployment', 'services', 0, 'config', 'a.b c'], 'deployment.services[0].config["a.b c"]'],
  ] as const)('formatPath(%j) = %s', (segments, expected) => {
    expect(formatPath(segments)).toBe(expected);
  });

  it('formatIssues puts each issue on its own line', () => {
    expect(
      formatIssues([
        { path: 'a', message: 'one' },
        { path: 'b[0]', message: 'two' },
      ]),
    ).toBe('a: one\nb[0]: two');
  });
});

describe('didYouMean', () => {
  const keys = ['name', 'type', 'dependencies', 'config', 'version', 'timeout', 'retry', 'resources'];
  it.each([
    ['dependences', 'dependencies', keys],
    ['dependnecies', 'dependencies', keys],
    ['confg', 'config', keys],
    ['tpye', 'type', keys],
    ['rds', 'rds-database', ['vpc', 'rds-database', 'k8s-cluster']],
    ['k8s', 'k8s-cluster', ['vpc', 'rds-database', 'k8s-cluster']],
    ['API', 'api', ['api', 'web']],
    ['wave', 'waves', ['eager', 'waves']],
    ['db', 'db-a', ['db-a', 'db-b']],
    ['colour', undefined, keys],
    ['zzzzzz', undefined, ['vpc', 'rds-database']],
    ['name', undefined, keys],
    ['', undefined, keys],
  ] as const)('%s → %s (among %j)', (input, expected, candidates) => {
    expect(didYouMean(input, candidates)).toBe(expected);
  });
});

describe('parseManifestText', () => {
  it('parses the seed YAML and returns the raw document without defaults', () => {
    const result = parseManifestText(SEED_TEXT, 'seed-ecommerce.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.manifest.deployment.services).toHaveLength(6);
    const rawServices = (result.raw as Raw).deployment.services;
    expect(rawServices[0]).toEqual({ name: 'vpc', type: 'terraform', dependencies: [], config: './terraform/vpc' });
    expect((result.raw as Raw).deployment.strategy).toBeUndefined();
  });

  it('parses JSON by file name and by leading brace', () => {
    const json = JSON.stringify(seed(), null, 2);
    for (const [text, name] of [
      [json, 'deploy.json'],
      [`  ${json}`, 'manifest'],
    ]) {
      const result = parseManifestText(text, name);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.manifest.deployment.services[5].name).toBe('monitoring');
    }
  });

  it('reports JSON syntax errors with line and column', () => {
    const result = parseManifestText('{\n  "deployment": {\n    "name": "x",\n  }\n}', 'deploy.json');
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'manifest', message: 'invalid JSON at line 4, column 3: Expected double-quoted property name' }],
    });
  });

  it('reports YAML syntax errors with line and column', () => {
    const text = 'deployment:\n  name: shop\n  services: [vpc\n  environment: prod\n';
    const result = parseManifestText(text, 'deploy.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.length).toBeGreaterThanOrEqual(1);
    expect(result.issues[0].path).toBe('manifest');
    expect(result.issues[0].message).toMatch(/^YAML syntax error at line 4, column \d+: /);
    expect(result.issues[0].message).not.toMatch(/\n/);
  });

  it('reports tab indentation at its position', () => {
    expect(parseManifestText('deployment:\n\tname: x\n')).toEqual({
      ok: false,
      issues: [{ path: 'manifest', message: 'YAML syntax error at line 2, column 1: Tabs are not allowed as indentation' }],
    });
  });

  it('rejects duplicate keys, naming the key', () => {
    const text = 'deployment:\n  name: shop\n  environment: prod\n  name: store\n';
    expect(parseManifestText(text)).toEqual({
      ok: false,
      issues: [
        {
          path: 'manifest',
          message:
            'YAML syntax error at line 4, column 3: duplicate key "name"; keys in a mapping must be unique, remove or rename one',
        },
      ],
    });
  });

  it('rejects several YAML documents in one file', () => {
    const result = parseManifestText(`${SEED_TEXT}---\n${SEED_TEXT}`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0].message).toMatch(/more than one document/);
  });

  it.each([
    ['empty text', ''],
    ['whitespace only', '  \n\n'],
    ['comments only', '# nothing here\n# yet\n'],
    ['a null document', 'null\n'],
  ])('rejects an empty document: %s', (_name, text) => {
    expect(parseManifestText(text)).toEqual({
      ok: false,
      issues: [{ path: 'manifest', message: 'the document is empty; expected a mapping with a "deployment" key' }],
    });
  });

  it('passes validation issues through', () => {
    const text = SEED_TEXT.replace('dependencies: [k8s-cluster, rds-database]', 'dependencies: [k8s-cluster, rds]');
    expect(parseManifestText(text)).toEqual({
      ok: false,
      issues: [{ path: 'deployment.services[3].dependencies[1]', message: 'unknown service "rds"; did you mean "rds-database"?' }],
    });
  });
});

describe('loadManifestFile', () => {
  it('loads and validates a file', async () => {
    const loaded = await loadManifestFile(SEED_PATH);
    expect(loaded.manifest.deployment.name).toBe('ecommerce-app-production');
    expect(loaded.source).toBe(SEED_PATH);
    expect(loaded.text).toBe(SEED_TEXT);
  });

  it('reports a missing file as a ManifestError', async () => {
    const missing = join(__dirname, 'no-such-manifest.yaml');
    await expect(loadManifestFile(missing)).rejects.toThrow(ManifestError);
    await expect(loadManifestFile(missing)).rejects.toMatchObject({
      issues: [{ path: 'manifest', message: `cannot read ${JSON.stringify(missing)}: file not found; check the path` }],
    });
  });
});

describe('validateManifest for replaying runs decided before real executors (runnable: false)', () => {
  it('keeps a service that names no executor on the simulated cloud, as it ran then', () => {
    const raw = { deployment: { name: 'old', environment: 'prod', services: [{ name: 'vpc', type: 'terraform' }, { name: 'app', type: 'kubernetes' }] } };
    const legacy = validateManifest(raw, { runnable: false });
    expect(legacy.ok && legacy.manifest.deployment.services.map((s) => s.executor)).toEqual(['simulated', 'simulated']);
    // Today the same document means real OpenTofu, which needs a module.
    const today = validateManifest(raw);
    expect(today.ok).toBe(false);
  });
});

describe('validateManifest: executor configs', () => {
  const issuesOf = (services: unknown[]) => {
    const result = validateManifest({ deployment: { name: 'a', environment: 'b', services } });
    return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
  };

  it('explains a config the type\'s default executor needs, and how to stay simulated', () => {
    expect(issuesOf([{ name: 'vpc', type: 'terraform' }])).toEqual([
      expect.stringMatching(/^deployment\.services\[0\]\.config: required: type terraform runs on executor opentofu .*add `executor: simulated` or a `simulate:` block$/),
    ]);
  });

  it('refuses a simulate block on a real executor, and a malformed secret reference inside free-form vars', () => {
    expect(issuesOf([{ name: 'vpc', type: 'terraform', executor: 'opentofu', config: './x', simulate: {} }])).toEqual([
      expect.stringContaining('deployment.services[0].simulate: only the simulated executor reads `simulate`'),
    ]);
    expect(issuesOf([{ name: 'db', type: 'terraform', config: { module: './db', vars: { pw: { secret: 'vault:db' } } } }])).toEqual([
      expect.stringContaining('deployment.services[0].config.vars.pw: "vault:db" is not a secret reference'),
    ]);
  });

  it('checks a command written as a string and a misspelt key against the shell executor', () => {
    expect(issuesOf([{ name: 'm', type: 'shell', config: { run: './migrate.sh', udno: ['x'] } }])).toEqual([
      expect.stringContaining('deployment.services[0].config.run: "./migrate.sh" is not valid here; expected a command as a list'),
      expect.stringContaining('unknown key "udno" for executor shell; did you mean "undo"?'),
    ]);
  });

  it('needs a health check interval and timeout of at least 1ms', () => {
    expect(issuesOf([{ name: 's', type: 'shell', config: { run: ['true'] }, health_check: { url: 'http://x/h', interval: 0 } }])).toEqual([
      expect.stringContaining('deployment.services[0].health_check.interval: 0 is too short'),
    ]);
  });
});

describe('validateManifest: operator fields', () => {
  it('accepts on_failure, bake, approval and notify (a webhook URL or a secret reference to one), filling in defaults', () => {
    const raw = seed() as { deployment: Record<string, unknown> & { services: Array<Record<string, unknown>> } };
    raw.deployment.strategy = { on_failure: 'halt', bake: '2m' };
    raw.deployment.notify = [{ webhook: { secret: 'env:SLACK_WEBHOOK' }, on: ['halted'] }, { webhook: 'https://hooks.example.com/x' }];
    raw.deployment.services[0].approval = { required: true, timeout: '10m' };
    const result = validateManifest(raw);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.manifest.deployment.notify[1].on).toContain('succeeded');
    expect(result.manifest.deployment.services[0].approval).toEqual({ required: true, timeout: '10m', on_timeout: 'reject', on_reject: 'fail' });
  });

  it('names the field and the fix for a bad policy or webhook', () => {
    const raw = seed() as { deployment: Record<string, unknown> };
    raw.deployment.strategy = { on_failure: 'explode' };
    raw.deployment.notify = [{ webhook: 'ftp://example.com/hook' }];
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['deployment.strategy.on_failure', 'deployment.notify[0].webhook']));
  });
});
