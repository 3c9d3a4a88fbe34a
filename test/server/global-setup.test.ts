/** The suite's shared server (global-setup.ts) is up, reachable through temporal-env.ts, and ready for Tugboat. */
import { TUGBOAT_PHASE } from '../../src/api/search-attributes';
import { connectClient, testEnv, workflowBundle } from '../support/temporal-env';

describe('the shared test server', () => {
  it("serves the test namespace with Tugboat's search attributes", async () => {
    const { connection, close } = await connectClient();
    try {
      const { namespace } = testEnv();
      const described = await connection.workflowService.describeNamespace({ namespace });
      expect(described.namespaceInfo?.name).toBe(namespace);
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      expect(Object.keys(customAttributes ?? {})).toContain(TUGBOAT_PHASE.name);
    } finally {
      await close();
    }
  });

  it('comes with the workflow bundle built once', () => {
    expect(workflowBundle().code.length).toBeGreaterThan(0);
  });
});
