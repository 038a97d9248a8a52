#include "redis/redis_script.h"

#include <openssl/evp.h>

#include <string_view>
#include <utility>

namespace citadel::redis {

std::string script_sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

RedisScript::RedisScript(std::string text) : shared_(std::make_shared<Shared>()) {
  shared_->sha = script_sha1_hex(text);
  shared_->text = std::move(text);
}

void RedisScript::load(RedisClient& client) const {
  // The reply only confirms what script_sha1_hex computed.
  const std::string_view args[] = {"SCRIPT", "LOAD", shared_->text};
  client.command(args, [](const RedisResult&) {});
}

namespace {

// EVAL/EVALSHA <script or sha> <number of keys> keys... args...
std::vector<std::string_view> eval_command(std::string_view verb, std::string_view script,
                                           const std::string& key_count,
                                           const std::vector<std::string>& words) {
  std::vector<std::string_view> command;
  command.reserve(words.size() + 3);
  command.push_back(verb);
  command.push_back(script);
  command.push_back(key_count);
  for (const std::string& w : words) command.push_back(w);
  return command;
}

}  // namespace

void RedisScript::run(RedisClient& client, std::size_t key_count, std::vector<std::string> words,
                      RedisClient::Callback done) const {
  // The words are kept for the EVAL a NOSCRIPT answer calls for.
  auto kept = std::make_shared<std::vector<std::string>>(std::move(words));
  std::string count = std::to_string(key_count);
  client.command(eval_command("EVALSHA", shared_->sha, count, *kept),
                 [&client, shared = shared_, count, kept,
                  done = std::move(done)](const RedisResult& r) mutable {
                   if (r.reply != nullptr && r.reply->type == REDIS_REPLY_ERROR &&
                       r.error_text().starts_with("NOSCRIPT")) {
                     ++shared->reloads;
                     // The client is alive: it is running this callback.
                     client.command(
                         eval_command("EVAL", shared->text, count, *kept),
                         [kept, done = std::move(done)](const RedisResult& r2) { done(r2); });
                     return;
                   }
                   done(r);
                 });
}

}  // namespace citadel::redis
