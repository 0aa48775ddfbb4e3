#pragma once
// Gzip compression of a whole file, for rotated container logs (upstream compresses them
// with compress/gzip at the default level; `zcat` and `kubectl logs` tooling read them).

#include <filesystem>

#include "common/error.h"

namespace capstan::kubelet::logs {

// Writes `src` gzip-compressed to `dst` (created 0644 or truncated). `src` is left alone; on
// failure `dst` may hold a partial stream and the caller removes it.
Status GzipFile(const std::filesystem::path& src, const std::filesystem::path& dst);

}  // namespace capstan::kubelet::logs
