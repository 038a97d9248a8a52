// The one thing the network layer asks of the layer above: what to do with a
// complete frame. Implemented by server::Router; net knows nothing of games.
#pragma once

#include "net/responder.h"
#include "protocol/wire.h"

namespace citadel::net {

class FrameDispatcher {
 public:
  // Called on the connection's loop thread, once per frame, in arrival order.
  // The payload view is valid only during the call. Returns false if the cmd
  // had no handler (already answered with an ERROR frame).
  virtual bool dispatch(Responder& peer, const protocol::FrameView& frame) const = 0;

 protected:
  ~FrameDispatcher() = default;
};

}  // namespace citadel::net
