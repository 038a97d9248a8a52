#include "fleet/etcd/etcd_watch.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>

#include "fleet/etcd/etcd_json.h"
#include "ops/asio_no_throw.h"

namespace citadel::fleet::etcd {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using ops::kNoThrow;

struct Watch::State {
  std::atomic<bool> cancelled{false};
  std::atomic<int64_t> next_revision{0};
  std::atomic<uint64_t> streams{0};
  // "citadel-etcd" thread only: what cancel() must interrupt.
  beast::tcp_stream* stream = nullptr;
  asio::steady_timer* pause = nullptr;
};

namespace {

struct WatchSpec {
  EtcdClient::Options options;
  EtcdClient::Executor executor;
  std::string key;
  std::string range_end;
  EtcdClient::WatchCallback callback;
};

// Runs the callback through the executor unless the watch was cancelled by
// the time the task runs (checked on the executor's thread, where cancel()
// is called).
void deliver(const WatchSpec& spec, const std::shared_ptr<Watch::State>& state,
             Result<WatchBatch> result) {
  spec.executor([cb = spec.callback, state, result = std::move(result)]() mutable {
    if (!state->cancelled.load()) cb(std::move(result));
  });
}

enum class StreamEnd { kBroken, kFinal };

// Handles one line of the stream. Returns false when the stream must end:
// kFinal for a cancel by etcd (delivered), kBroken for a line not understood.
bool handle_line(std::string_view line, const WatchSpec& spec,
                 const std::shared_ptr<Watch::State>& state, StreamEnd& end, bool& confirmed) {
  if (line.empty()) return true;
  auto message = json::parse_watch_line(line);
  if (!message) {
    end = StreamEnd::kBroken;  // etcd's error in the stream, or garbage: start over
    return false;
  }
  auto& m = message.value();
  switch (m.kind) {
    case json::WatchMessage::Kind::kCreated:
      confirmed = true;
      // From "now": the watch covers what comes after the revision it was set up at.
      if (state->next_revision.load() == 0) state->next_revision.store(m.batch.revision + 1);
      return true;
    case json::WatchMessage::Kind::kCanceled:
      end = StreamEnd::kFinal;
      deliver(spec, state, m.error);
      return false;
    case json::WatchMessage::Kind::kEvents:
      break;
  }
  if (m.batch.events.empty()) return true;  // a progress notification
  const int64_t last = m.batch.events.back().kv.mod_revision;
  state->next_revision.store(std::max(state->next_revision.load(), last + 1));
  deliver(spec, state, std::move(m.batch));
  return true;
}

// One stream, from connect to its end.
asio::awaitable<StreamEnd> run_stream(const WatchSpec& spec, std::shared_ptr<Watch::State> state,
                                      bool& confirmed) {
  const auto& options = spec.options;
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  state->stream = &stream;
  struct Forget {  // the stream dies with this frame
    Watch::State& s;
    ~Forget() { s.stream = nullptr; }
  } forget{*state};

  if (auto c = co_await connect_stream(stream, options.endpoint, options.connect_timeout); !c) {
    co_return StreamEnd::kBroken;
  }
  if (state->cancelled.load()) co_return StreamEnd::kFinal;
  stream.expires_after(options.request_timeout);
  http::request<http::string_body> request{http::verb::post, "/v3/watch", 11};
  request.set(http::field::host, options.endpoint.host);
  request.set(http::field::content_type, "application/json");
  request.body() = json::watch_create_body(spec.key, spec.range_end, state->next_revision.load());
  request.prepare_payload();
  if (auto [ec, n] = co_await http::async_write(stream, request, kNoThrow); ec) {
    co_return StreamEnd::kBroken;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.body_limit(boost::none);  // a stream: no end
  if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow); ec) {
    co_return StreamEnd::kBroken;
  }
  if (parser.get().result_int() != 200 || !parser.chunked()) co_return StreamEnd::kBroken;
  state->streams.fetch_add(1);

  std::string pending;  // bytes of the line not complete yet
  StreamEnd end = StreamEnd::kBroken;
  bool keep_going = true;
  auto on_chunk = [&](std::uint64_t, std::string_view data, beast::error_code&) -> std::size_t {
    if (!keep_going) return data.size();
    pending.append(data);
    std::size_t start = 0;
    for (std::size_t nl; keep_going && (nl = pending.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      keep_going = handle_line(std::string_view(pending).substr(start, nl - start), spec, state,
                               end, confirmed);
    }
    pending.erase(0, start);
    if (pending.size() > options.max_answer_bytes) keep_going = false;  // no line that long
    return data.size();
  };
  parser.on_chunk_body(on_chunk);
  while (keep_going && !parser.is_done() && !state->cancelled.load()) {
    // Quiet past the limit: start over from next_revision (Options::watch_idle_timeout).
    stream.expires_after(options.watch_idle_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (ec == http::error::end_of_chunk) continue;
    if (ec) break;
  }
  co_return end;
}

asio::awaitable<void> run_watch(WatchSpec spec, std::shared_ptr<Watch::State> state) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  state->pause = &pause;
  auto backoff = spec.options.watch_retry_min;
  while (!state->cancelled.load()) {
    bool confirmed = false;
    if (co_await run_stream(spec, state, confirmed) == StreamEnd::kFinal) break;
    if (state->cancelled.load()) break;
    if (confirmed) backoff = spec.options.watch_retry_min;  // it worked for a while
    pause.expires_after(backoff);
    co_await pause.async_wait(kNoThrow);
    backoff = std::min(backoff * 2, spec.options.watch_retry_max);
  }
  state->pause = nullptr;
}

}  // namespace

Watch::Watch(EtcdClient& client, std::string key, std::string range_end, int64_t start_revision,
             EtcdClient::WatchCallback callback)
    : client_(client), state_(std::make_shared<State>()) {
  state_->next_revision.store(start_revision);
  WatchSpec spec{client.options(), client.executor(), std::move(key), std::move(range_end),
                 std::move(callback)};
  asio::co_spawn(client.io(), run_watch(std::move(spec), state_), asio::detached);
}

Watch::~Watch() {
  cancel();
}

void Watch::cancel() {
  if (state_->cancelled.exchange(true)) return;
  // The stream and timer belong to the etcd thread: interrupt them there.
  asio::post(client_.io(), [state = state_] {
    if (state->stream != nullptr) state->stream->cancel();
    if (state->pause != nullptr) state->pause->cancel();
  });
}

int64_t Watch::next_revision() const {
  return state_->next_revision.load();
}

uint64_t Watch::streams() const {
  return state_->streams.load();
}

}  // namespace citadel::fleet::etcd
