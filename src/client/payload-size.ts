/**
 * The payloads a deployment will send, measured before anything starts. The manifest's own size
 * limit (MAX_MANIFEST_BYTES, checked by validation) leaves room for the rest, but the real start
 * input also carries the decided plan (each service's name several times), and the rollback
 * manifest's store step carries every service with the deployment's settings folded in: a payload
 * over Temporal's limit would be refused at the start, or worse, fail the parent's workflow task
 * after the deployment began. So both are measured here and refused up front, naming the fix.
 */
import { MAX_PAYLOAD_BYTES, utf8Length } from '../api/temporal-limits';
import { ManifestError } from '../manifest/errors';
import type { Manifest } from '../manifest/schema';
import { selfContainedSpec } from '../workflows/deployment';

export function checkPayloadSizes(startInput: object, manifest: Manifest): void {
  const measured: Array<[string, number]> = [
    ['its start input (the manifest and the decided plan)', utf8Length(JSON.stringify(startInput))],
    [
      'the rollback manifest it stores first (every service with the deployment settings folded in)',
      utf8Length(JSON.stringify(manifest.deployment.services.map((s) => selfContainedSpec(s, manifest.deployment)))),
    ],
  ];
  const over = measured.filter(([, bytes]) => bytes > MAX_PAYLOAD_BYTES);
  if (over.length === 0) return;
  throw new ManifestError(
    over.map(([what, bytes]) => ({
      path: 'deployment',
      message:
        `${what} would be ${Math.ceil(bytes / 1024)} KiB, over the ${MAX_PAYLOAD_BYTES / 1024} KiB Tugboat allows a Temporal payload: ` +
        'split the platform into deployments of fewer services, or move large config values into files the executor reads (config: ./path/to/dir)',
    })),
  );
}
