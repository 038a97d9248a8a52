#include "store/store_requests.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <type_traits>

namespace citadel::store {

bool is_write(const Request& request) {
  return std::holds_alternative<CreateAccountRequest>(request) ||
         std::holds_alternative<GuestLoginRequest>(request) ||
         std::holds_alternative<AppendHistoryRequest>(request) ||
         std::holds_alternative<SaveLeaderboardRequest>(request) ||
         std::holds_alternative<SaveLeaderboardRecordRequest>(request) ||
         std::holds_alternative<WriteObjectsRequest>(request) ||
         std::holds_alternative<DeleteObjectsRequest>(request);
}

void fail(Request& request, StoreError error) {
  std::visit(
      [error](auto& r) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(r)>, AppendHistoryRequest>) {
          r.result = {};
          r.result.error = error;
        }
      },
      request);
}

void reset_result(Request& request) {
  fail(request, StoreError::kOk);
}

StoreError error_of(const Request& request) {
  return std::visit(
      [](const auto& r) {
        if constexpr (std::is_same_v<std::decay_t<decltype(r)>, AppendHistoryRequest>) {
          return StoreError::kOk;
        } else {
          return r.result.error;
        }
      },
      request);
}

void complete(Request& request) {
  std::visit(
      [](auto& r) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(r)>, AppendHistoryRequest>) {
          if (!r.done) return;
          try {
            r.done(std::move(r.result));
          } catch (const std::exception& e) {
            spdlog::error("store: a completion callback threw: {}", e.what());
          } catch (...) {
            spdlog::error("store: a completion callback threw a non-standard exception");
          }
        }
      },
      request);
}

}  // namespace citadel::store
