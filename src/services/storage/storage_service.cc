#include "services/storage/storage_service.h"

#include <flatbuffers/flatbuffers.h>
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "protocol/commands.h"
#include "protocol/flatbuffers_text.h"
#include "server/verified_handler.h"
#include "store/object_validation.h"

namespace citadel::services {
namespace {

using Result = msg::StorageResult;

// What is wrong with an item's names, if anything.
std::optional<std::pair<Result, std::string>> name_problem(std::string_view collection,
                                                           std::string_view key) {
  if (!store::valid_object_name(collection)) {
    return std::pair{Result::InvalidCollection,
                     std::string("collection must be 1 to 128 of A-Z a-z 0-9 _ - . :")};
  }
  if (!store::valid_object_name(key)) {
    return std::pair{Result::InvalidKey,
                     std::string("key must be 1 to 128 of A-Z a-z 0-9 _ - . :")};
  }
  return std::nullopt;
}

bool readable_by(const store::StorageObject& o, uint64_t user_id) {
  if (o.read == store::kReadPublic) return true;
  return o.read == store::kReadOwner && static_cast<uint64_t>(o.owner_id) == user_id;
}

// A reply must stay one frame a client accepts (64 KiB payloads, the client
// library's limit): objects go in while their bytes fit this budget.
constexpr std::size_t kReplyBudgetBytes = 60 * 1024;
constexpr std::size_t kObjectOverheadBytes = 96;  // table, vtable, offsets, scalars

std::size_t encoded_size(const store::StorageObject& o) {
  return o.collection.size() + o.key.size() + o.value.size() + kObjectOverheadBytes;
}

// How many of `objects`, from the front, fit one reply.
std::size_t fitting(const std::vector<store::StorageObject>& objects) {
  std::size_t bytes = 0, n = 0;
  for (const auto& o : objects) {
    bytes += encoded_size(o);
    if (bytes > kReplyBudgetBytes) break;
    ++n;
  }
  return n;
}

struct Reply {
  Result result = Result::Ok;
  std::string_view message = "ok";
  int32_t failed_index = -1;
  const std::vector<store::StorageObject>* objects = nullptr;
  const std::vector<int64_t>* versions = nullptr;
  std::string_view cursor;
};

net::SharedBytes encode(uint32_t request_id, const Reply& r, uint64_t reader) {
  flatbuffers::FlatBufferBuilder fbb(256);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<msg::StorageObject>>> objects = 0;
  if (r.objects != nullptr) {
    std::vector<flatbuffers::Offset<msg::StorageObject>> list;
    list.reserve(r.objects->size());
    for (const store::StorageObject& o : *r.objects) {
      if (!readable_by(o, reader)) continue;
      // Sized strings: a value is stored byte for byte, so never cut at a NUL.
      const auto collection = fbb.CreateString(o.collection), key = fbb.CreateString(o.key),
                 value = fbb.CreateString(o.value);
      list.push_back(msg::CreateStorageObject(fbb, collection, key,
                                              static_cast<uint64_t>(o.owner_id), value,
                                              static_cast<uint64_t>(o.version), o.read, o.write,
                                              static_cast<uint64_t>(o.created_at_unix_ms),
                                              static_cast<uint64_t>(o.updated_at_unix_ms)));
    }
    objects = fbb.CreateVector(list);
  }
  flatbuffers::Offset<flatbuffers::Vector<uint64_t>> versions = 0;
  if (r.versions != nullptr) {
    std::vector<uint64_t> v(r.versions->begin(), r.versions->end());
    versions = fbb.CreateVector(v);
  }
  const auto message = fbb.CreateString(r.message.data(), r.message.size());
  const auto cursor = r.cursor.empty() ? flatbuffers::Offset<flatbuffers::String>()
                                       : fbb.CreateString(r.cursor.data(), r.cursor.size());
  fbb.Finish(msg::CreateStorageReply(fbb, request_id, r.result, message, r.failed_index, objects,
                                     versions, cursor));
  return server::make_shared_frame(protocol::cmd::kStorageReply,
                                   {fbb.GetBufferPointer(), fbb.GetSize()});
}

Result refusal_result(store::ObjectRefusal refusal) {
  return refusal == store::ObjectRefusal::kPermissionDenied ? Result::PermissionDenied
                                                            : Result::VersionConflict;
}

std::string_view refusal_message(store::ObjectRefusal refusal) {
  return refusal == store::ObjectRefusal::kPermissionDenied
             ? "the object is server-only (permission_write 0); nothing was written"
             : "a version or if_absent condition failed; nothing was written";
}

}  // namespace

StorageService::StorageService(net::EventLoop& service_loop, server::Outbox& outbox,
                               store::ObjectStore& objects, const TokenSigner::Secret& secret,
                               const StorageConfig& config)
    : loop_(service_loop), outbox_(outbox), objects_(objects), cursor_(secret), config_(config) {}

void StorageService::register_handlers(server::Router& router) {
  using server::Access;
  using server::verified;
  auto request = [](net::Responder& p, uint32_t request_id) {
    return Request{p.connection_id(), p.user_id(), request_id};
  };
  router.add(protocol::cmd::kStorageRead,
             verified<msg::StorageRead>(
                 [this, request](auto& p, const auto& m) { read(request(p, m.request_id()), m); }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kStorageWrite,
             verified<msg::StorageWrite>(
                 [this, request](auto& p, const auto& m) { write(request(p, m.request_id()), m); }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kStorageDelete,
             verified<msg::StorageDelete>(
                 [this, request](auto& p, const auto& m) { erase(request(p, m.request_id()), m); }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kStorageList,
             verified<msg::StorageList>(
                 [this, request](auto& p, const auto& m) { list(request(p, m.request_id()), m); }),
             Access::kLoggedIn);
}

void StorageService::refuse(const Request& req, Result result, std::string_view message,
                            int32_t failed_index) {
  Reply r;
  r.result = result;
  r.message = message;
  r.failed_index = failed_index;
  outbox_.send(req.connection_id, encode(req.request_id, r, req.user_id));
}

bool StorageService::refuse_store_error(const Request& req, store::StoreError error) {
  switch (error) {
    case store::StoreError::kOk:
      return false;
    case store::StoreError::kOverloaded:
    case store::StoreError::kShuttingDown:
    case store::StoreError::kStorageError:
    case store::StoreError::kBacklogFull:  // write-behind: the database is behind or away
      loop_.post([this, req, error] {
        refuse(req, Result::StoreUnavailable,
               fmt::format("storage unavailable ({}); retry later", store::to_string(error)));
      });
      return true;
    default:
      // The checks on arrival are the store's own, so it should never refuse.
      loop_.post([this, req, error] {
        refuse(req, Result::InternalError, fmt::format("storage refused: {}", to_string(error)));
      });
      return true;
  }
}

void StorageService::read(const Request& req, const msg::StorageRead& m) {
  const auto* items = m.objects();
  if (items == nullptr || items->size() == 0) {
    return refuse(req, Result::InvalidRequest, "objects must not be empty");
  }
  if (items->size() > config_.max_objects_per_batch) {
    return refuse(req, Result::TooManyObjects,
                  fmt::format("at most {} objects per request", config_.max_objects_per_batch));
  }
  std::vector<store::ObjectId> ids;
  ids.reserve(items->size());
  for (uint32_t i = 0; i < items->size(); ++i) {
    const auto* item = items->Get(i);
    const auto collection = protocol::text_of(item->collection()),
               key = protocol::text_of(item->key());
    if (auto problem = name_problem(collection, key)) {
      return refuse(req, problem->first, problem->second, static_cast<int32_t>(i));
    }
    const uint64_t owner = item->user_id() == 0 ? req.user_id : item->user_id();
    ids.push_back({std::string(collection), std::string(key), static_cast<int64_t>(owner)});
  }
  objects_.read_objects(std::move(ids), [this, req](store::ObjectReadResult r) {
    if (refuse_store_error(req, r.error)) return;
    loop_.post([this, req, r = std::move(r)]() mutable {
      // Only what this user may read, missing and unreadable alike left out.
      std::erase_if(r.value, [&](const auto& o) { return !readable_by(o, req.user_id); });
      if (fitting(r.value) < r.value.size()) {
        return refuse(req, Result::TooManyObjects,
                      "the objects found do not fit one reply (60 KiB); read fewer at a time");
      }
      Reply reply;
      reply.objects = &r.value;
      outbox_.send(req.connection_id, encode(req.request_id, reply, req.user_id));
    });
  });
}

void StorageService::write(const Request& req, const msg::StorageWrite& m) {
  const auto* items = m.objects();
  if (items == nullptr || items->size() == 0) {
    return refuse(req, Result::InvalidRequest, "objects must not be empty");
  }
  if (items->size() > config_.max_objects_per_batch) {
    return refuse(req, Result::TooManyObjects,
                  fmt::format("at most {} objects per request", config_.max_objects_per_batch));
  }
  std::vector<store::ObjectWrite> writes;
  writes.reserve(items->size());
  for (uint32_t i = 0; i < items->size(); ++i) {
    const auto* item = items->Get(i);
    const auto index = static_cast<int32_t>(i);
    const auto collection = protocol::text_of(item->collection()),
               key = protocol::text_of(item->key()), value = protocol::text_of(item->value());
    if (auto problem = name_problem(collection, key)) {
      return refuse(req, problem->first, problem->second, index);
    }
    if (value.size() > config_.max_value_bytes) {
      return refuse(req, Result::ValueTooLarge,
                    fmt::format("value over {} bytes", config_.max_value_bytes), index);
    }
    if (!store::valid_object_json(value)) {
      return refuse(req, Result::InvalidJson, "value must be a JSON object", index);
    }
    if (!store::valid_permissions(item->permission_read(), item->permission_write())) {
      return refuse(req, Result::InvalidRequest,
                    "permission_read must be 0 to 2 and permission_write 0 or 1", index);
    }
    if (item->if_absent() && item->version() != 0) {
      return refuse(req, Result::InvalidRequest, "give version or if_absent, not both", index);
    }
    if (item->version() > static_cast<uint64_t>(INT64_MAX)) {
      return refuse(req, Result::VersionConflict, "no object has this version", index);
    }
    store::ObjectWrite w;
    w.id = {std::string(collection), std::string(key), static_cast<int64_t>(req.user_id)};
    w.value = std::string(value);
    w.read = item->permission_read();
    w.write = item->permission_write();
    w.condition = item->if_absent()      ? store::ObjectCondition::kAbsent
                  : item->version() != 0 ? store::ObjectCondition::kVersion
                                         : store::ObjectCondition::kNone;
    w.version = static_cast<int64_t>(item->version());
    w.require_writable = true;
    writes.push_back(std::move(w));
  }
  if (store::has_duplicate_ids(
          writes, [](const store::ObjectWrite& w) -> const store::ObjectId& { return w.id; })) {
    return refuse(req, Result::InvalidRequest, "each object may appear once per request");
  }
  objects_.write_objects(std::move(writes), [this, req](store::ObjectWriteResult r) {
    if (refuse_store_error(req, r.error)) return;
    loop_.post([this, req, r = std::move(r)] {
      const auto& out = r.value;
      if (out.refusal != store::ObjectRefusal::kNone) {
        return refuse(req, refusal_result(out.refusal), refusal_message(out.refusal),
                      static_cast<int32_t>(out.failed_index));
      }
      Reply reply;
      reply.versions = &out.versions;
      outbox_.send(req.connection_id, encode(req.request_id, reply, req.user_id));
    });
  });
}

void StorageService::erase(const Request& req, const msg::StorageDelete& m) {
  const auto* items = m.objects();
  if (items == nullptr || items->size() == 0) {
    return refuse(req, Result::InvalidRequest, "objects must not be empty");
  }
  if (items->size() > config_.max_objects_per_batch) {
    return refuse(req, Result::TooManyObjects,
                  fmt::format("at most {} objects per request", config_.max_objects_per_batch));
  }
  std::vector<store::ObjectDelete> deletes;
  deletes.reserve(items->size());
  for (uint32_t i = 0; i < items->size(); ++i) {
    const auto* item = items->Get(i);
    const auto collection = protocol::text_of(item->collection()),
               key = protocol::text_of(item->key());
    if (auto problem = name_problem(collection, key)) {
      return refuse(req, problem->first, problem->second, static_cast<int32_t>(i));
    }
    if (item->version() > static_cast<uint64_t>(INT64_MAX)) {
      return refuse(req, Result::VersionConflict, "no object has this version",
                    static_cast<int32_t>(i));
    }
    deletes.push_back(
        {{std::string(collection), std::string(key), static_cast<int64_t>(req.user_id)},
         static_cast<int64_t>(item->version()),
         true});
  }
  if (store::has_duplicate_ids(
          deletes, [](const store::ObjectDelete& d) -> const store::ObjectId& { return d.id; })) {
    return refuse(req, Result::InvalidRequest, "each object may appear once per request");
  }
  objects_.delete_objects(std::move(deletes), [this, req](store::ObjectWriteResult r) {
    if (refuse_store_error(req, r.error)) return;
    loop_.post([this, req, r = std::move(r)] {
      const auto& out = r.value;
      if (out.refusal != store::ObjectRefusal::kNone) {
        return refuse(req, refusal_result(out.refusal),
                      out.refusal == store::ObjectRefusal::kPermissionDenied
                          ? "the object is server-only (permission_write 0); nothing was deleted"
                          : "a version condition failed; nothing was deleted",
                      static_cast<int32_t>(out.failed_index));
      }
      outbox_.send(req.connection_id, encode(req.request_id, Reply{}, req.user_id));
    });
  });
}

void StorageService::list(const Request& req, const msg::StorageList& m) {
  const auto collection = protocol::text_of(m.collection());
  if (!store::valid_object_name(collection)) {
    return refuse(req, Result::InvalidCollection,
                  "collection must be 1 to 128 of A-Z a-z 0-9 _ - . :");
  }
  const uint32_t limit = m.limit() == 0 ? kMaxStorageListLimit : m.limit();
  if (limit > kMaxStorageListLimit) {
    return refuse(req, Result::InvalidRequest, "limit must be 1 to 100 (0 means 100)");
  }
  const uint64_t owner = m.user_id() == 0 ? req.user_id : m.user_id();
  store::ObjectListQuery query;
  query.owner_id = static_cast<int64_t>(owner);
  query.collection = std::string(collection);
  query.limit = limit;
  // Your own: everything but server-only objects; someone else's: public only.
  query.min_read = owner == req.user_id ? store::kReadOwner : store::kReadPublic;
  if (const auto cursor = protocol::text_of(m.cursor()); !cursor.empty()) {
    auto after = cursor_.decode(cursor, owner, collection);
    if (!after) {
      return refuse(req, Result::BadCursor, "cursor was not issued for this list");
    }
    query.after_key = std::move(*after);
  }
  objects_.list_objects(std::move(query), [this, req, owner](store::ObjectListResult r) {
    if (refuse_store_error(req, r.error)) return;
    loop_.post([this, req, owner, r = std::move(r)]() mutable {
      auto& page = r.value;
      // A page whose values would not fit one reply ends early; the cursor
      // then points past the last object sent.
      const std::size_t fit = std::max<std::size_t>(1, fitting(page.objects));
      if (fit < page.objects.size()) {
        page.objects.resize(fit);
        page.more = true;
      }
      std::string next;
      if (page.more && !page.objects.empty()) {
        const auto& last = page.objects.back();
        next = cursor_.encode(owner, last.collection, last.key);
      }
      Reply reply;
      reply.objects = &page.objects;
      reply.cursor = next;
      outbox_.send(req.connection_id, encode(req.request_id, reply, req.user_id));
    });
  });
}

}  // namespace citadel::services
