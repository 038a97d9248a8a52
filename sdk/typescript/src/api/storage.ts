// Player storage (docs/protocol.md, "Storage"): JSON objects addressed by
// (collection, key, owner), with versions for optimistic concurrency and
// read/write permissions. Every method resolves when the StorageReply says
// Ok and rejects with a StorageError (its `status` is the StorageResult,
// `failedIndex` the item refused) otherwise. Writes and deletes are all or
// nothing.

import { StorageError } from '../errors/request-errors';
import { StorageResult } from '../generated/citadel/msg/storage-result';
import type { ClientCore } from '../client/core';
import {
  decodeStorageReply,
  encodeStorageDelete,
  encodeStorageList,
  encodeStorageRead,
  encodeStorageWrite,
  type StorageDeleteRequest,
  type StorageObject,
  type StorageObjectRef,
  type StorageReply,
  type StorageWriteRequest,
} from '../messages/storage';
import { Cmd } from '../wire/commands';
import type { Frame } from '../wire/frame';

export interface StoragePage {
  readonly objects: readonly StorageObject[];
  /** Pass to list() for the next page; null on the last page. */
  readonly cursor: string | null;
}

export interface StorageListOptions {
  /** Whose objects; 0 or absent: yours (others': public ones only). */
  readonly userId?: bigint | number;
  /** 1 to 100 (default 100). */
  readonly limit?: number;
  /** From the previous page. */
  readonly cursor?: string | null;
}

export class StorageApi {
  constructor(private readonly core: ClientCore) {}

  /** The objects that exist and you may read, in request order (the others are left out). */
  read(refs: readonly StorageObjectRef[]): Promise<readonly StorageObject[]> {
    return this.core.request(
      Cmd.StorageRead,
      Cmd.StorageReply,
      (id) => encodeStorageRead(id, refs),
      (frame) => okReply(Cmd.StorageRead, frame).objects,
    );
  }

  /** Writes your objects, all or nothing; resolves with each one's new version. */
  write(writes: readonly StorageWriteRequest[]): Promise<readonly bigint[]> {
    return this.core.request(
      Cmd.StorageWrite,
      Cmd.StorageReply,
      (id) => encodeStorageWrite(id, writes),
      (frame) => okReply(Cmd.StorageWrite, frame).versions,
    );
  }

  /** Deletes your objects, all or nothing. */
  delete(deletes: readonly StorageDeleteRequest[]): Promise<void> {
    return this.core.request(
      Cmd.StorageDelete,
      Cmd.StorageReply,
      (id) => encodeStorageDelete(id, deletes),
      (frame) => void okReply(Cmd.StorageDelete, frame),
    );
  }

  /** One page of a user's objects in a collection, by key. */
  list(collection: string, options: StorageListOptions = {}): Promise<StoragePage> {
    return this.core.request(
      Cmd.StorageList,
      Cmd.StorageReply,
      (id) => encodeStorageList(id, collection, options.userId ?? 0, options.limit ?? 0, options.cursor ?? ''),
      (frame) => {
        const reply = okReply(Cmd.StorageList, frame);
        return { objects: reply.objects, cursor: reply.cursor === '' ? null : reply.cursor };
      },
    );
  }
}

function okReply(cmd: number, frame: Frame): StorageReply {
  const reply = decodeStorageReply(frame.payload);
  if (reply.result !== StorageResult.Ok) {
    throw new StorageError(cmd, reply.result, reply.message, reply.failedIndex);
  }
  return reply;
}
