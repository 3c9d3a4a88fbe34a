/**
 * The Temporal Web UI, seen in a real browser: headless Chromium (Debian's, installed by
 * scripts/ensure-chromium.ts) driven by playwright-core against the suite's dev server's UI. The list
 * filtered by TugboatEnvironment shows the deployment with its status, and nothing from another
 * environment; the workflow's page shows its TugboatPhase and the static summary Tugboat starts it with.
 * Screenshots are kept in test-output/web-ui/ for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureChromium } from '../../scripts/ensure-chromium';
import { TUGBOAT_ENVIRONMENT, TUGBOAT_PHASE } from '../../src/api/search-attributes';
import { testEnv, uniqueName } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { useWorld } from '../support/world';

const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'test-output', 'web-ui');
/** The UI fetches from the server after the page loads: generous on a shared two-core machine. */
const UI_TIMEOUT_MS = 30_000;

describe('the Temporal Web UI in a browser', () => {
  const world = useWorld('webui');
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('lists the deployment filtered by TugboatEnvironment with its status and phase, and shows its summary', async () => {
    const uiUrl = process.env.TUGBOAT_TEST_UI_URL;
    if (!uiUrl) throw new Error('TUGBOAT_TEST_UI_URL is not set: global-setup.ts starts the test server with its Web UI and sets it.');
    // Found (or installed) by global-setup; if that failed, this looks again and throws the reason.
    const executablePath = await ensureChromium({ log: console.log });

    const environment = uniqueName('webui-env');
    const otherEnvironment = uniqueName('webui-other');
    const services = [
      { name: 'db', type: 'terraform' as const, simulate: { duration: '10ms' } },
      { name: 'api', type: 'kubernetes' as const, dependencies: ['db'], simulate: { duration: '10ms' } },
    ];
    const ours = await world.deploy(world.manifest(services, { environment }));
    // Same name, another environment: the filter must leave it out.
    const other = await world.deploy(world.manifest(services, { environment: otherEnvironment }));
    expect((await ours.handle.result()).phase).toBe('SUCCEEDED');
    expect((await other.handle.result()).phase).toBe('SUCCEEDED');
    // What Tugboat starts the workflow with (src/client/deployments.ts), as the server keeps it.
    const summary = await (await ours.handle.describe()).staticSummary();
    expect(summary).toContain(`${world.name} to ${environment}`);
    if (!summary) throw new Error('the deployment workflow has no static summary');

    // Visibility catches up with the close a moment later, and the UI lists what visibility has: both
    // closed there first, so the other's absence from the page is the filter's doing.
    const query = `${TUGBOAT_ENVIRONMENT.name} = "${environment}"`;
    const closedInVisibility = (workflowId: string) =>
      waitFor(
        async () => {
          for await (const wf of world.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
            if (wf.status.name === 'COMPLETED' && wf.typedSearchAttributes.get(TUGBOAT_PHASE) === 'SUCCEEDED') return true;
          }
          return false;
        },
        { timeoutMs: 30_000, what: `${workflowId} closed with TugboatPhase SUCCEEDED in visibility` },
      );
    await Promise.all([closedInVisibility(ours.workflowId), closedInVisibility(other.workflowId)]);

    browser = await chromium.launch({ executablePath, headless: true, args: ['--disable-dev-shm-usage'] });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const { namespace } = testEnv();
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });

    // The list, filtered by the environment (the `query` parameter the UI's filter bar writes).
    await page.goto(`${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`);
    const row = page.locator('tr', { hasText: ours.workflowId });
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.innerText()).toContain('Completed');
    // The list arrives in one piece: with ours shown, the other environment's would be too if unfiltered.
    expect(await page.locator('tr', { hasText: other.workflowId }).count()).toBe(0);
    await screenshot(page, 'workflow-list');

    // The workflow's page: the phase among its search attributes (a JSON view, one attribute a line) …
    await row.getByRole('link', { name: ours.workflowId, exact: true }).click();
    await page.getByRole('tab', { name: 'Search Attributes' }).click();
    await page.getByText(`"${TUGBOAT_PHASE.name}": "SUCCEEDED"`).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText(`"${TUGBOAT_ENVIRONMENT.name}": "${environment}"`).waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'workflow-search-attributes');

    // … and its static summary, which the UI renders as markdown in a frame of its own (the first: Summary, then Current Details).
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await page.frameLocator('iframe').first().getByText(summary, { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'workflow-summary');
  });
});

/** Saves test-output/web-ui/<name>.png, after removing the last run's, and checks this run wrote one. */
async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  fs.rmSync(file, { force: true });
  await page.screenshot({ path: file, fullPage: true });
  expect(fs.statSync(file).size).toBeGreaterThan(0);
}
