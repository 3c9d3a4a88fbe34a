/**
 * `executor: http` config: one request to deploy, optionally one to undo. Pure (zod only).
 */
import { z } from 'zod';
import { secretOrStringSchema } from '../../secrets/reference';

export const httpRequestSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  url: z.string().regex(/^https?:\/\/\S+$/, { message: 'expected an absolute http(s) URL such as "https://api.example.com/deploys"' }),
  /** Header values may be secret references (an Authorization token, say). */
  headers: z
    .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'expected a header name such as "Authorization"' }), secretOrStringSchema)
    .default({}),
  /** Sent as JSON unless it is a string. */
  body: z.unknown().optional(),
})
  // fetch refuses to send one; say so at plan time, not as a failed step.
  .refine((request) => request.method !== 'GET' || request.body === undefined, {
    message: 'a GET request cannot have a body: use POST, PUT or PATCH, or drop `body`',
    path: ['body'],
  });
export type HttpRequestSpec = z.infer<typeof httpRequestSchema>;

/** `$.a.b[0].c`: a path into the JSON response. */
export const JSON_PATH_PATTERN = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/;

export const httpConfigSchema = z.strictObject({
  request: httpRequestSchema,
  /** The compensation; without it the service is retained on rollback. */
  undo: httpRequestSchema.optional(),
  /** Outputs picked from the JSON response, e.g. `{ id: "$.deployment.id" }`. */
  outputs: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.string().regex(JSON_PATH_PATTERN, { message: 'expected a path such as "$.deployment.id" or "$.items[0].url"' }))
    .default({}),
});
export type HttpConfig = z.infer<typeof httpConfigSchema>;
