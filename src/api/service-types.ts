/**
 * The kinds of service a manifest may declare. Plain data with no imports, so the manifest
 * schema, the simulated cloud and the workflow sandbox share one list.
 */
export const SERVICE_TYPES = ['terraform', 'kubernetes', 'docker', 'monitoring', 'shell', 'http'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
