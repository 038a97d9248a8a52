// A store could not be opened (a file, a database server); the message names
// what and why. Thrown by the backends' constructors and open_store().
#pragma once

#include <stdexcept>

namespace citadel::store {

class StoreOpenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace citadel::store
