// The Client's player storage calls: StorageRead, StorageWrite,
// StorageDelete and StorageList sent with a request_id the library chooses,
// the StorageReply matched by it and decoded into a CallOutcome.
#include <utility>

#include "client/client_impl.h"
#include "client/storage_messages.h"
#include "protocol/commands.h"

namespace citadel::client {

namespace proto = citadel::protocol;

namespace {

// The reply callback that decodes a StorageReply for `callback`: the value
// `value_of` takes from an Ok reply, else the CallError.
template <typename T, typename ValueOf>
ReplyCallback on_storage_reply(std::function<void(const CallOutcome<T>&)> callback,
                               ValueOf value_of) {
  if (!callback) return {};
  return [callback = std::move(callback), value_of](const Reply& r) {
    CallOutcome<T> o;
    o.rtt = r.rtt;
    std::optional<StorageReplyFields> reply;
    if (!r.ok()) {
      o.error = call_error_of(r);
    } else if (reply = decode_storage_reply(r.payload); !reply) {
      o.error = malformed_reply();
    } else if (!reply->ok()) {
      o.error = refusal(reply->result, storage_result_name(reply->result),
                        std::move(reply->message), reply->failed_index);
    } else {
      o.value = value_of(*reply);
    }
    callback(o);
  };
}

}  // namespace

RequestId Client::storage_read(const std::vector<StorageObjectId>& objects,
                               StorageReadCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kStorageRead,
      [&](uint32_t request_id) { return encode_storage_read(request_id, objects); },
      proto::cmd::kStorageReply, on_storage_reply(std::move(callback), [](StorageReplyFields& f) {
        return std::move(f.objects);
      }));
}

RequestId Client::storage_write(const std::vector<StorageWriteItem>& objects,
                                StorageWriteCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kStorageWrite,
      [&](uint32_t request_id) { return encode_storage_write(request_id, objects); },
      proto::cmd::kStorageReply, on_storage_reply(std::move(callback), [](StorageReplyFields& f) {
        return std::move(f.versions);
      }));
}

RequestId Client::storage_delete(const std::vector<StorageDeleteItem>& objects,
                                 StorageDeleteCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kStorageDelete,
      [&](uint32_t request_id) { return encode_storage_delete(request_id, objects); },
      proto::cmd::kStorageReply,
      on_storage_reply(std::move(callback), [](StorageReplyFields&) { return StorageDeleted{}; }));
}

RequestId Client::storage_list(const StorageListRequest& request, StorageListCallback callback) {
  return impl_->keyed_request(
      proto::cmd::kStorageList,
      [&](uint32_t request_id) { return encode_storage_list(request_id, request); },
      proto::cmd::kStorageReply, on_storage_reply(std::move(callback), [](StorageReplyFields& f) {
        return StoragePage{std::move(f.objects), std::move(f.cursor)};
      }));
}

}  // namespace citadel::client
