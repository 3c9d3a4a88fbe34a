/**
 * A Payload as bytes (temporal.api.common.v1.Payload's protobuf encoding: what the encryption
 * covers, metadata included, as temporalio's samples-typescript encryption sample does), and as
 * the JSON the codec-server protocol sends (proto3 JSON: bytes in base64).
 */
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ProtoPayload = temporal.api.common.v1.Payload;

export function payloadToBytes(payload: Payload): Uint8Array {
  return ProtoPayload.encode(payload).finish();
}

export function payloadFromBytes(bytes: Uint8Array): Payload {
  const { metadata, data } = ProtoPayload.decode(bytes);
  return { metadata: { ...metadata }, data };
}

/** A payload as the codec-server protocol carries it: `{ metadata: { key: base64 }, data: base64 }`. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export function payloadToJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) if (value != null) metadata[key] = Buffer.from(value).toString('base64');
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

/** The Payload, or a message saying what is wrong with the JSON at `where`. */
export function payloadFromJson(json: unknown, where: string): Payload | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return `${where} must be an object ({ metadata, data })`;
  const { metadata, data } = json as Record<string, unknown>;
  if (data !== undefined && data !== null && (typeof data !== 'string' || !isBase64(data))) return `${where}.data must be a base64 string`;
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    return `${where}.metadata must be an object of base64 strings`;
  }
  const decoded: Record<string, Uint8Array> = Object.create(null);
  for (const [key, value] of Object.entries((metadata ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string' || !isBase64(value)) return `${where}.metadata.${key} must be a base64 string`;
    decoded[key] = Buffer.from(value, 'base64');
  }
  return { metadata: { ...decoded }, data: Buffer.from((data as string | undefined) ?? '', 'base64') };
}

function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/_-]*={0,2}$/.test(text);
}
