// The one place a backend is chosen: the services see only the Store it
// returns (the AccountStore and ChatHistoryStore ports plus lifecycle and
// statistics), never a backend type.
#pragma once

#include <memory>

#include "store/store.h"
#include "store/store_config.h"
#include "store/store_open_error.h"

namespace citadel::store {

// Opens the configured backend (connects, migrates, starts its thread).
// Throws StoreOpenError when it cannot be used, std::invalid_argument for
// settings the backend rejects.
std::unique_ptr<Store> open_store(const StoreConfig& config);

}  // namespace citadel::store
