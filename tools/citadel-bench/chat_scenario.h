// Chat scenario (issue 4; issue 8's fan-out figure): `connections` users
// connect and log in as new guests, which puts every one of them in the world
// channel. Then `senders` of them send ChatSend to the channel, together
// --rate messages per second (spread over the senders in turn, so each
// sender's share stays under the server's per-user limit), for --duration or
// until --messages have gone out. --rate 0 sends one message at a time: the
// next goes --gap-ms after the previous one has reached every member.
//
// Every member's receipt of every message is timed against the send time in
// the message's text: the per-receipt histogram (send -> each receipt), and
// per message the time until the last member has it (median, p99, max over
// the messages), which is what issue 8 sets beside the c-fanout yardstick.
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "options.h"

namespace citadel::bench {

// Runs the scenario and prints its report. Returns the process exit code:
// 0 the run completed, 2 no connection could be opened.
int run_chat(const ChatOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
