// A child for the crash test: writes /crash/<n> keys to a SQLite store as fast as it can and
// prints each n once the store acknowledged it. The test kills it with SIGKILL.
#include <cstdio>

#include "control-plane/storage/sqlite_store.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  capstan::control_plane::storage::SqliteOptions options;
  options.synchronous_full = std::string(argv[2]) == "full";
  options.compact_interval = std::chrono::seconds(0);
  auto store = capstan::control_plane::storage::SqliteStore::Open(argv[1], options);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message().c_str());
    return 1;
  }
  for (long n = 0;; ++n) {
    std::string key = "/crash/" + std::to_string(n);
    if (!(*store)->Create(key, std::string(200, 'x'))) return 1;
    if (n % 3 == 0 && !(*store)->Update(key, "updated", 0)) return 1;
    std::printf("%ld\n", n);
    std::fflush(stdout);
  }
}
