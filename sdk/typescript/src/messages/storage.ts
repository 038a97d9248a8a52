// storage.fbs: StorageRead/Write/Delete/List and StorageReply.

import { StorageDelete } from '../generated/citadel/msg/storage-delete';
import { StorageDeleteItem } from '../generated/citadel/msg/storage-delete-item';
import { StorageList } from '../generated/citadel/msg/storage-list';
import { StorageObject as StorageObjectTable } from '../generated/citadel/msg/storage-object';
import { StorageObjectId } from '../generated/citadel/msg/storage-object-id';
import { StorageRead } from '../generated/citadel/msg/storage-read';
import { StorageReply as StorageReplyTable } from '../generated/citadel/msg/storage-reply';
import type { StorageResult } from '../generated/citadel/msg/storage-result';
import { StorageWrite } from '../generated/citadel/msg/storage-write';
import { StorageWriteItem } from '../generated/citadel/msg/storage-write-item';
import { buildTable, byteBuffer, msNumber, str } from './flatbuffers-io';

/** An object's address; `userId` 0 (or absent) means you. */
export interface StorageObjectRef {
  readonly collection: string;
  readonly key: string;
  readonly userId?: bigint | number;
}

export interface StorageWriteRequest {
  readonly collection: string;
  readonly key: string;
  /** A JSON object: a value to be serialized, or its JSON text as is. */
  readonly value: Record<string, unknown> | string;
  /** Only if the stored version is this one (write-if-version). */
  readonly version?: bigint | number;
  /** Only if no object exists (write-if-absent). */
  readonly ifAbsent?: boolean;
  /** 0 server only, 1 owner (default), 2 public. */
  readonly permissionRead?: 0 | 1 | 2;
  /** 0 server only (final for clients), 1 owner (default). */
  readonly permissionWrite?: 0 | 1;
}

export interface StorageDeleteRequest {
  readonly collection: string;
  readonly key: string;
  /** Only if the stored version is this one. */
  readonly version?: bigint | number;
}

export interface StorageObject {
  readonly collection: string;
  readonly key: string;
  /** The owner. */
  readonly userId: bigint;
  /** The JSON text as written; parse it with JSON.parse. */
  readonly value: string;
  readonly version: bigint;
  readonly permissionRead: number;
  readonly permissionWrite: number;
  readonly createdUnixMs: number;
  readonly updatedUnixMs: number;
}

export interface StorageReply {
  readonly requestId: number;
  readonly result: StorageResult;
  readonly message: string;
  /** The item a refusal is about, or -1. */
  readonly failedIndex: number;
  readonly objects: readonly StorageObject[];
  readonly versions: readonly bigint[];
  /** The next page's cursor; '' on the last page. */
  readonly cursor: string;
}

export function encodeStorageRead(requestId: number, refs: readonly StorageObjectRef[]): Uint8Array {
  return buildTable((b) => {
    const items = refs.map((r) =>
      StorageObjectId.createStorageObjectId(
        b,
        b.createString(r.collection),
        b.createString(r.key),
        BigInt(r.userId ?? 0),
      ),
    );
    return StorageRead.createStorageRead(b, requestId, StorageRead.createObjectsVector(b, items));
  });
}

export function encodeStorageWrite(requestId: number, writes: readonly StorageWriteRequest[]): Uint8Array {
  let hint = 128;
  const texts = writes.map((w) => (typeof w.value === 'string' ? w.value : JSON.stringify(w.value)));
  for (const t of texts) hint += 64 + t.length * 3;
  return buildTable((b) => {
    const items = writes.map((w, i) =>
      StorageWriteItem.createStorageWriteItem(
        b,
        b.createString(w.collection),
        b.createString(w.key),
        b.createString(texts[i]!),
        BigInt(w.version ?? 0),
        w.ifAbsent ?? false,
        w.permissionRead ?? 1,
        w.permissionWrite ?? 1,
      ),
    );
    return StorageWrite.createStorageWrite(b, requestId, StorageWrite.createObjectsVector(b, items));
  }, hint);
}

export function encodeStorageDelete(requestId: number, deletes: readonly StorageDeleteRequest[]): Uint8Array {
  return buildTable((b) => {
    const items = deletes.map((d) =>
      StorageDeleteItem.createStorageDeleteItem(
        b,
        b.createString(d.collection),
        b.createString(d.key),
        BigInt(d.version ?? 0),
      ),
    );
    return StorageDelete.createStorageDelete(b, requestId, StorageDelete.createObjectsVector(b, items));
  });
}

export function encodeStorageList(
  requestId: number,
  collection: string,
  userId: bigint | number,
  limit: number,
  cursor: string,
): Uint8Array {
  return buildTable((b) => {
    const c = b.createString(collection);
    const cur = cursor === '' ? 0 : b.createString(cursor);
    return StorageList.createStorageList(b, requestId, c, BigInt(userId), limit, cur);
  });
}

function object(o: StorageObjectTable): StorageObject {
  return {
    collection: str(o.collection()),
    key: str(o.key()),
    userId: o.userId(),
    value: str(o.value()),
    version: o.version(),
    permissionRead: o.permissionRead(),
    permissionWrite: o.permissionWrite(),
    createdUnixMs: msNumber(o.createdUnixMs()),
    updatedUnixMs: msNumber(o.updatedUnixMs()),
  };
}

export function decodeStorageReply(payload: Uint8Array): StorageReply {
  const m = StorageReplyTable.getRootAsStorageReply(byteBuffer(payload));
  const objects: StorageObject[] = [];
  for (let i = 0; i < m.objectsLength(); i++) objects.push(object(m.objects(i)!));
  const versions: bigint[] = [];
  for (let i = 0; i < m.versionsLength(); i++) versions.push(m.versions(i)!);
  return {
    requestId: m.requestId(),
    result: m.result(),
    message: str(m.message()),
    failedIndex: m.failedIndex(),
    objects,
    versions,
    cursor: str(m.cursor()),
  };
}
