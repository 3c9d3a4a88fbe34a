/** Reading `tofu show -json`: outputs (sensitive ones hidden) and resources of every module. */
import { outputsOf, parseShowJson, resourcesOf, SENSITIVE_OUTPUT } from './show-json';

const STATE = JSON.stringify({
  format_version: '1.0',
  values: {
    outputs: {
      cidr: { sensitive: false, value: '10.0.0.0/16', type: 'string' },
      zones: { sensitive: false, value: ['a', 'b'] },
      password: { sensitive: true, value: 'hunter2' },
    },
    root_module: {
      resources: [
        { address: 'terraform_data.net', mode: 'managed', type: 'terraform_data' },
        { address: 'data.aws_region.here', mode: 'data', type: 'aws_region' },
      ],
      child_modules: [
        {
          address: 'module.subnets',
          resources: [{ address: 'module.subnets.aws_subnet.this["a"]', mode: 'managed', type: 'aws_subnet' }],
          child_modules: [{ resources: [{ address: 'module.subnets.module.deep.null_resource.x[0]', mode: 'managed', type: 'null_resource' }] }],
        },
      ],
    },
  },
});

describe('show -json', () => {
  it('returns strings as they are, other values as JSON, and never a sensitive value', () => {
    expect(outputsOf(parseShowJson(STATE))).toEqual({ cidr: '10.0.0.0/16', zones: '["a","b"]', password: SENSITIVE_OUTPUT });
  });

  it('lists managed resources of the root and every child module, prefixed with the service', () => {
    expect(resourcesOf(parseShowJson(STATE), 'network')).toEqual([
      { id: 'network/terraform_data.net', kind: 'terraform_data' },
      { id: 'network/module.subnets.aws_subnet.this["a"]', kind: 'aws_subnet' },
      { id: 'network/module.subnets.module.deep.null_resource.x[0]', kind: 'null_resource' },
    ]);
  });

  it('reads an empty state as no outputs and no resources', () => {
    const empty = parseShowJson('{"format_version":"1.0"}');
    expect(outputsOf(empty)).toEqual({});
    expect(resourcesOf(empty, 'network')).toEqual([]);
  });

  it('rejects what is not a state document', () => {
    expect(() => parseShowJson('{"hello":1}')).toThrow(/state document/);
    expect(() => parseShowJson('Error: nope')).toThrow();
  });

  it('never quotes the state in its error: it holds the values resources keep', () => {
    for (const broken of ['{"format_version":"1.0","values":{"password":"hunter2-in-state",}}', '{"password": hunter2-in-state}', '{"password":"hunter2-in-state"']) {
      const error = (() => {
        try {
          parseShowJson(broken);
        } catch (err) {
          return err as Error;
        }
        throw new Error(`parsed ${broken}`);
      })();
      expect(error.message).toMatch(/printed no state document: it is not valid JSON/);
      expect(error.message).not.toContain('hunter2');
    }
  });
});

describe('parseShowJson with warnings ahead of the document', () => {
  it('skips what tofu printed before the JSON', () => {
    const text = '\nWarning: Unable to open CLI configuration file\n\nThe CLI configuration file at "/x" does not exist.\n{"format_version":"1.0"}\n';
    expect(parseShowJson(text).format_version).toBe('1.0');
  });
});
