/** A four-service diamond, alpha → (bravo, charlie) → delta, each a 10 ms simulated shell service. */
import type { ServiceInput } from '../../src/manifest/schema';

export const DIAMOND_SERVICES: ServiceInput[] = [
  { name: 'alpha', type: 'shell', simulate: { duration: '10ms' } },
  { name: 'bravo', type: 'shell', dependencies: ['alpha'], simulate: { duration: '10ms' } },
  { name: 'charlie', type: 'shell', dependencies: ['alpha'], simulate: { duration: '10ms' } },
  { name: 'delta', type: 'shell', dependencies: ['bravo', 'charlie'], simulate: { duration: '10ms' } },
];
