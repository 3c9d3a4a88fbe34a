/** The environment lock's workflow ID: one per (name, environment), never shared by two. */
import fc from 'fast-check';
import { environmentWorkflowId, legacyEnvironmentWorkflowId, parseDeploymentRef } from '../../src/client/deployment-id';
import { NAME_PATTERN } from '../../src/manifest/schema';

describe('environmentWorkflowId', () => {
  it('gives shop-api→prod and shop→api-prod different IDs (the old format gave both deploy-shop-api-prod)', () => {
    expect(environmentWorkflowId('shop-api', 'prod')).toBe('deploy-shop-api.prod');
    expect(environmentWorkflowId('shop', 'api-prod')).toBe('deploy-shop.api-prod');
    expect(legacyEnvironmentWorkflowId('shop-api', 'prod')).toBe(legacyEnvironmentWorkflowId('shop', 'api-prod'));
  });

  it('uses a separator no valid name contains', () => {
    fc.assert(fc.property(fc.stringMatching(NAME_PATTERN), (name) => !name.includes('.')));
  });

  it('is injective: every way of splitting one hyphenated string into name/environment gets its own ID', () => {
    const segment = fc.constantFrom('a', 'b', 'shop', 'api', 'prod', '1');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 2, maxLength: 6 }), (segments) => {
        const pairs = segments.slice(1).map((_, i) => [segments.slice(0, i + 1).join('-'), segments.slice(i + 1).join('-')]);
        for (const pair of pairs) for (const part of pair) expect(part).toMatch(NAME_PATTERN);
        const ids = new Set(pairs.map(([name, environment]) => environmentWorkflowId(name, environment)));
        expect(ids.size).toBe(pairs.length);
      }),
    );
  });

});

describe('parseDeploymentRef', () => {
  it('tells a deployment ID from <name>/<environment>, and neither', () => {
    expect(parseDeploymentRef(' dep-20261123t183012345z-k3f9q2 ')).toEqual({ deploymentId: 'dep-20261123t183012345z-k3f9q2' });
    expect(parseDeploymentRef('shop/prod')).toEqual({ name: 'shop', environment: 'prod' });
    for (const bad of ['shop', 'shop/', '/prod', 'a/b/c', '']) expect(parseDeploymentRef(bad)).toBeUndefined();
  });
});
