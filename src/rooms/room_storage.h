// Player storage objects for room code (server side): the same objects
// clients reach with the Storage messages (docs/protocol.md, "Storage"), for
// a room that saves match results, reads a player's loadout, and so on.
//
// Server rights: no permission check applies (any owner, server-only
// objects included; owner 0 is the server's own), so the room decides who
// may see and change what: e.g. write results with permission_write 0 so
// that no client can alter them. Conditions (version, if_absent) and
// all-or-nothing batches work as for clients.
//
// Threads: a call never blocks the room. Its completion runs later on the
// room's own thread, like every room callback, with the room's context, and
// an exception in it closes the room as anywhere in room code. If the room
// has closed by then the completion is dropped; the write itself is done or
// not as the store decided (a kOk write is committed).
#pragma once

#include <functional>
#include <vector>

#include "store/object_store.h"

namespace citadel::rooms {

class RoomContext;

class RoomStorage {
 public:
  using ReadDone = std::function<void(RoomContext&, store::ObjectReadResult)>;
  using WriteDone = std::function<void(RoomContext&, store::ObjectWriteResult)>;
  using ListDone = std::function<void(RoomContext&, store::ObjectListResult)>;

  virtual void read(std::vector<store::ObjectId> ids, ReadDone done) = 0;
  virtual void write(std::vector<store::ObjectWrite> writes, WriteDone done) = 0;
  virtual void remove(std::vector<store::ObjectDelete> deletes, WriteDone done) = 0;
  virtual void list(store::ObjectListQuery query, ListDone done) = 0;

 protected:
  ~RoomStorage() = default;
};

}  // namespace citadel::rooms
