// GET /store/conflicts and DELETE /store/conflicts/{id} on the admin port:
// write-behind's conflicts (store/write_behind/conflict_admin.h) as JSON for
// operators. Wired only when store.write_behind.enabled; otherwise the admin
// server answers 404.
#pragma once

#include <string>
#include <vector>

#include "ops/admin/admin_sources.h"
#include "store/write_behind/conflict_admin.h"

namespace citadel::app {

// Sets sources.list_store_conflicts and sources.dismiss_store_conflict to
// calls on `conflicts`, which must outlive the admin server.
void wire_store_conflicts(ops::admin::AdminSources& sources, store::wb::ConflictAdmin& conflicts);

// {"conflicts":[...],"next_after":ID|null}: next_after is the last id when
// the page is full (pass it as ?after= for the next one), null when it is not.
std::string conflicts_json(const std::vector<store::wb::ConflictRow>& rows, uint32_t limit);

}  // namespace citadel::app
