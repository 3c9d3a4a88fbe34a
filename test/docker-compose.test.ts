/**
 * Docker can't run in CI here, so check the compose file's wiring statically: the mistakes that would
 * only show up as a hung or half-working `docker compose up`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { TUGBOAT_SEARCH_ATTRIBUTES } from '../src/api/search-attributes';

interface Service {
  image?: string;
  ports?: string[];
  environment?: Record<string, string> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test: unknown };
}

const compose = parse(fs.readFileSync(path.join(__dirname, '..', 'docker-compose.temporal.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;

function dependencies(service: Service): Array<{ target: string; condition?: string }> {
  const dependsOn = service.depends_on ?? [];
  if (Array.isArray(dependsOn)) return dependsOn.map((target) => ({ target }));
  return Object.entries(dependsOn).map(([target, { condition }]) => ({ target, condition }));
}

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** "8080:8080" → host 8080, container 8080 (the forms used here; no ranges or IPs). */
function publishedPorts(service: Service): Array<{ host: number; container: number }> {
  return (service.ports ?? []).map((mapping) => {
    const [host, container] = String(mapping).split(':').map(Number);
    return { host, container };
  });
}

function serviceWithImage(repository: string): [string, Service] {
  const found = Object.entries(services).find(([, service]) => service.image?.split(':')[0] === repository);
  if (!found) throw new Error(`no service runs ${repository}`);
  return found;
}

describe('docker-compose.temporal.yml', () => {
  it('depends only on services that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const { target } of dependencies(service)) expect({ service: name, dependsOn: target, exists: target in services }).toMatchObject({ exists: true });
    }
  });

  it('gives every service a healthcheck that others wait to be healthy', () => {
    for (const service of Object.values(services)) {
      for (const { target, condition } of dependencies(service)) {
        if (condition === 'service_healthy') expect({ target, healthcheck: services[target].healthcheck }).toMatchObject({ healthcheck: expect.anything() });
      }
    }
  });

  it('pins every image to an explicit version', () => {
    for (const [name, service] of Object.entries(services)) {
      const tag = service.image?.split(':')[1];
      expect({ service: name, tag }).toMatchObject({ tag: expect.stringMatching(/^\d[\w.-]*$/) });
    }
  });

  it('publishes each host port once: Temporal on 7233, the UI on 8080', () => {
    const hostPorts = Object.values(services).flatMap((service) => publishedPorts(service).map((p) => p.host));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(publishedPorts(serviceWithImage('temporalio/server')[1])).toContainEqual({ host: 7233, container: 7233 });
    expect(publishedPorts(serviceWithImage('temporalio/ui')[1])).toContainEqual({ host: 8080, container: 8080 });
  });

  it("points the UI at the Temporal service's gRPC port", () => {
    const [serverName] = serviceWithImage('temporalio/server');
    expect(environment(serviceWithImage('temporalio/ui')[1]).TEMPORAL_ADDRESS).toBe(`${serverName}:7233`);
  });

  it("registers exactly Tugboat's search attributes", () => {
    const setup = Object.values(services).find((service) => environment(service).SEARCH_ATTRIBUTES);
    const registered = environment(setup!).SEARCH_ATTRIBUTES.trim().split(/\s+/).sort();
    const cliTypes: Record<string, string> = { KEYWORD: 'Keyword' }; // extend when Tugboat adds other types
    const expected = TUGBOAT_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${cliTypes[key.type]}`).sort();
    expect(registered).toEqual(expected);
  });
});
