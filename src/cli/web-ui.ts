/** A link into the Temporal Web UI for a workflow, when we know where the UI is. */
export function webUiLink(uiBase: string | undefined, namespace: string, workflowId: string, runId?: string): string | undefined {
  if (!uiBase) return undefined;
  const base = uiBase.replace(/\/$/, '');
  const path = `/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return `${base}${path}${runId ? `/${encodeURIComponent(runId)}` : ''}`;
}

/** TEMPORAL_UI_URL, else the dev server's default UI when the server is local. */
export function defaultUiBase(address: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_UI_URL) return env.TEMPORAL_UI_URL;
  return /^(localhost|127\.0\.0\.1):7233$/.test(address) ? 'http://localhost:8233' : undefined;
}
