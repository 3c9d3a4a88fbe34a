/**
 * For code that reads history events or a describe's raw fields itself instead of through the SDK
 * (status, watch): the payloads there are as stored, encrypted when the codec is on, and failure
 * messages are "Encoded failure" with the real one in an encrypted payload. These decode them with
 * the client's codecs. With no codec configured they change nothing (and cost nothing).
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';

/** The value of one payload as the SDK would give it: through the client's codecs, then its payload converter. */
export async function payloadValue<T>(client: Client, payload: Payload): Promise<T> {
  const [decoded] = await decodePayloads(client, [payload]);
  return client.options.loadedDataConverter.payloadConverter.fromPayload<T>(decoded);
}

async function decodePayloads(client: Client, payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  for (const codec of [...client.options.loadedDataConverter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return decoded;
}

/**
 * A copy of `value` (history events, a describe's pending activity) with every `payloads` list
 * decoded and every failure's message (and stack trace) restored from its encoded attributes.
 * `value` itself when the client has no codec.
 */
export async function decodedForReading<T>(client: Client, value: T): Promise<T> {
  // Optional chaining: a client stand-in (unit tests' fakes) may carry no converter at all.
  if ((client.options?.loadedDataConverter?.payloadCodecs ?? []).length === 0) return value;
  return (await walk(client, value)) as T;
}

async function walk(client: Client, value: unknown): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((item) => walk(client, item)));
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  // Same prototype: a Long's toString (event IDs) and a message class's defaults still work on the copy.
  const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const [key, field] of Object.entries(value)) {
    out[key] = key === 'payloads' && Array.isArray(field) ? await decodePayloads(client, field as Payload[]) : await walk(client, field);
  }
  const encoded = out.encodedAttributes as Payload | null | undefined;
  if (encoded && typeof out.message === 'string') {
    const [decoded] = await decodePayloads(client, [encoded]);
    const attributes = client.options.loadedDataConverter.payloadConverter.fromPayload<{ message?: unknown; stack_trace?: unknown }>(decoded);
    if (typeof attributes?.message === 'string') out.message = attributes.message;
    if (typeof attributes?.stack_trace === 'string') out.stackTrace = attributes.stack_trace;
    out.encodedAttributes = decoded;
  }
  return out;
}
