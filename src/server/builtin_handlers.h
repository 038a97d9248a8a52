// Handlers for the reserved commands every connection answers, before or
// after login: PING -> PONG, ECHO -> ECHO.
#pragma once

#include "server/router.h"

namespace citadel::server {

void register_builtin_handlers(Router& router);

}  // namespace citadel::server
