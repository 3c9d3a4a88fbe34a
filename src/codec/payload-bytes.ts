/**
 * A Payload as bytes (temporal.api.common.v1.Payload's protobuf encoding: what the encryption
 * covers, metadata included, as temporalio's samples-typescript encryption sample does), and as
 * the JSON the codec-server protocol sends (proto3 JSON: bytes in base64). Written with
 * protobufjs's minimal reader and writer: @temporalio/proto is not a dependency of ours.
 */
import type { Payload } from '@temporalio/common';
import { Reader, Writer } from 'protobufjs/minimal';

/** Field numbers of Payload (metadata: map<string, bytes> = 1; data: bytes = 2) and of a map entry (key = 1, value = 2). */
const METADATA = 1;
const DATA = 2;
const LENGTH_DELIMITED = 2;
const tag = (field: number) => (field << 3) | LENGTH_DELIMITED;

export function payloadToBytes(payload: Payload): Uint8Array {
  const writer = Writer.create();
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value == null) continue;
    writer.uint32(tag(METADATA)).fork().uint32(tag(1)).string(key).uint32(tag(2)).bytes(value).ldelim();
  }
  if (payload.data && payload.data.length > 0) writer.uint32(tag(DATA)).bytes(payload.data);
  return writer.finish();
}

export function payloadFromBytes(bytes: Uint8Array): Payload {
  const reader = Reader.create(bytes);
  const metadata: Record<string, Uint8Array> = {};
  let data: Uint8Array = new Uint8Array();
  while (reader.pos < reader.len) {
    const header = reader.uint32();
    const field = header >>> 3;
    if (field === METADATA) {
      const end = reader.uint32() + reader.pos;
      let key = '';
      let value: Uint8Array = new Uint8Array();
      while (reader.pos < end) {
        const entryHeader = reader.uint32();
        if (entryHeader >>> 3 === 1) key = reader.string();
        else if (entryHeader >>> 3 === 2) value = reader.bytes();
        else reader.skipType(entryHeader & 7);
      }
      metadata[key] = value;
    } else if (field === DATA) {
      data = reader.bytes();
    } else {
      reader.skipType(header & 7);
    }
  }
  return { metadata, data };
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
