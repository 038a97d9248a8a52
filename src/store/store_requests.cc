#include "store/store_requests.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace citadel::store {

bool is_write(const Request& request) {
  return std::holds_alternative<CreateAccountRequest>(request) ||
         std::holds_alternative<GuestLoginRequest>(request) ||
         std::holds_alternative<AppendHistoryRequest>(request) ||
         std::holds_alternative<SaveLeaderboardRequest>(request) ||
         std::holds_alternative<SaveLeaderboardRecordRequest>(request) ||
         std::holds_alternative<DeleteLeaderboardRecordRequest>(request) ||
         std::holds_alternative<WriteObjectsRequest>(request) ||
         std::holds_alternative<DeleteObjectsRequest>(request);
}

void fail(Request& request, StoreError error) {
  std::visit(
      [error](auto& r) {
        r.result = {};
        r.result.error = error;
      },
      request);
}

void reset_result(Request& request) {
  fail(request, StoreError::kOk);
}

StoreError error_of(const Request& request) {
  return std::visit([](const auto& r) { return r.result.error; }, request);
}

void complete(Request& request) {
  std::visit(
      [](auto& r) {
        if (!r.done) return;
        try {
          r.done(std::move(r.result));
        } catch (const std::exception& e) {
          spdlog::error("store: a completion callback threw: {}", e.what());
        } catch (...) {
          spdlog::error("store: a completion callback threw a non-standard exception");
        }
      },
      request);
}

}  // namespace citadel::store
