// Ctrl-C ends the run early but still prints the report: a long hold run that
// was interrupted should not lose its figures.
#pragma once

namespace citadel::bench {

// Installs SIGINT/SIGTERM handlers that only raise a flag, and ignores SIGPIPE
// (a send to a closed socket must be an error code, not the end of the process).
void install_interrupt_handlers();
// True once SIGINT or SIGTERM has arrived. Async-signal-safe to set, cheap to read.
bool interrupted();

}  // namespace citadel::bench
