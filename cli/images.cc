#include "cli/images.h"

#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/daemons.h"
#include "cli/progress.h"
#include "common/file.h"

namespace capstan::cli {
namespace {

namespace fs = std::filesystem;

// As capstan-cri takes them (cri/image/import_watcher.h): hidden names are in-flight copies.
bool IsTarball(const std::string& name) {
  return !name.starts_with(".") && (name.ends_with(".tar") || name.ends_with(".tar.gz") ||
                                    name.ends_with(".tgz") || name.ends_with(".tar.zst"));
}

// The tarballs named: files as given, directories by their tarballs.
Result<std::vector<fs::path>> Tarballs(const std::vector<std::string>& paths) {
  std::vector<fs::path> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        if (e.is_regular_file(ec) && IsTarball(e.path().filename().string())) {
          found.push_back(e.path());
        }
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) return Fail(Code::kInvalidArgument, "{}: no image tarballs in it", p);
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      if (!IsTarball(fs::path(p).filename().string())) {
        return Fail(Code::kInvalidArgument, "{}: not a .tar, .tar.gz, .tgz or .tar.zst file", p);
      }
      out.emplace_back(p);
    } else {
      return Fail(Code::kNotFound, "{}: no such file or directory", p);
    }
  }
  return out;
}

// Copies `from` into `dir` under its own name, appearing there by rename.
Result<fs::path> Place(const fs::path& from, const fs::path& dir) {
  fs::path to = dir / from.filename();
  fs::path tmp = dir / ("." + from.filename().string() + ".tmp");
  std::error_code ec;
  fs::remove(to.string() + ".status", ec);
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return Fail(Code::kInternal, "copying {}: {}", from.string(), ec.message());
  fs::rename(tmp, to, ec);
  if (ec) return Fail(Code::kInternal, "placing {}: {}", to.string(), ec.message());
  return to;
}

}  // namespace

int ImportImages(const ImageImportOptions& o) {
  auto tarballs = Tarballs(o.paths);
  if (!tarballs) {
    fmt::print(stderr, "capstan: {}\n", tarballs.error().message());
    return 1;
  }
  fs::path dir = fs::path(o.data_dir) / "cri" / "images";
  if (auto st = MkdirAll(dir, 0700); !st) {
    fmt::print(stderr, "capstan: {}\n", st.error().message());
    return 1;
  }
  bool running = Daemons(o.data_dir).Running("cri").has_value();
  Progress p;
  int failures = 0;
  for (const auto& t : *tarballs) {
    p.Step("importing " + t.filename().string());
    auto placed = Place(t, dir);
    if (!placed) {
      p.Failed(placed.error().message());
      ++failures;
      continue;
    }
    if (!running) continue;
    // The runtime writes <tarball>.status when it is done.
    std::string status_file = placed->string() + ".status";
    auto deadline = std::chrono::steady_clock::now() + o.timeout;
    while (!PathExists(status_file) && std::chrono::steady_clock::now() < deadline) {
      p.Tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto text = ReadFile(status_file);
    if (!text) {
      p.Failed("capstan-cri did not finish importing it in time");
      ++failures;
      continue;
    }
    auto status = nlohmann::json::parse(*text, nullptr, false);
    if (status.is_discarded() || status.contains("error")) {
      p.Failed(status.is_discarded() ? "unreadable import status"
                                     : status["error"].get<std::string>());
      ++failures;
      continue;
    }
    p.Done();
    for (const auto& image : status.value("images", nlohmann::json::array())) {
      fmt::print("  {}\n", image.get<std::string>());
    }
  }
  if (!running && failures == 0) {
    p.Done();
    fmt::print("capstan-cri is not running: it imports {} when it starts (capstan up).\n",
               tarballs->size() == 1 ? "it" : "them");
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace capstan::cli
