// The split schedule the stream fuzz targets share: after the target's own
// leading bytes, k chunk-size bytes (used cyclically; 0 is an empty feed),
// then the byte stream they cut. So the fuzzer controls where reads split
// as well as what they hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

struct ChunkedStream {
  const uint8_t* chunk_sizes;
  std::size_t k;  // 0: feed the whole stream at once
  const uint8_t* stream;
  std::size_t stream_size;
};

// Reads k sizes starting at data[offset]; nullopt if the input is shorter.
// Sizes that are all 0 would never make progress: k becomes 0.
inline std::optional<ChunkedStream> read_chunked_stream(const uint8_t* data, std::size_t size,
                                                        std::size_t offset, std::size_t k) {
  if (size < offset + k) return std::nullopt;
  ChunkedStream c{data + offset, k, data + offset + k, size - offset - k};
  std::size_t cycle_bytes = 0;
  for (std::size_t i = 0; i < k; ++i) cycle_bytes += c.chunk_sizes[i];
  if (cycle_bytes == 0) c.k = 0;
  return c;
}
