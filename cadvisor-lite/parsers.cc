#include "cadvisor-lite/parsers.h"

#include <charconv>
#include <cstdlib>

namespace capstan::cadvisor {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<uint64_t> ToU64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

// Splits on runs of spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      ++i;
    }
    if (i > start) {
      out.push_back(line.substr(start, i - start));
    }
  }
  return out;
}

template <typename F>
void ForEachLine(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

std::map<std::string, uint64_t, std::less<>> ParseFlatKeyed(std::string_view text) {
  std::map<std::string, uint64_t, std::less<>> out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() == 2) {
      if (auto v = ToU64(f[1])) {
        out.emplace(std::string(f[0]), *v);
      }
    }
  });
  return out;
}

std::optional<uint64_t> ParseSingleValue(std::string_view text) { return ToU64(Trim(text)); }

MemInfo ParseMemInfo(std::string_view text) {
  MemInfo m;
  const std::pair<std::string_view, uint64_t MemInfo::*> fields[] = {
      {"MemTotal:", &MemInfo::total},
      {"MemFree:", &MemInfo::free},
      {"MemAvailable:", &MemInfo::available},
      {"Buffers:", &MemInfo::buffers},
      {"Cached:", &MemInfo::cached},
      {"Active(file):", &MemInfo::active_file},
      {"Inactive(file):", &MemInfo::inactive_file},
      {"SwapTotal:", &MemInfo::swap_total},
      {"SwapFree:", &MemInfo::swap_free},
  };
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() < 2) {
      return;
    }
    for (const auto& [name, member] : fields) {
      if (f[0] == name) {
        if (auto v = ToU64(f[1])) {
          bool kb = f.size() >= 3 && f[2] == "kB";
          m.*member = kb ? *v * 1024 : *v;
        }
      }
    }
  });
  return m;
}

std::optional<ProcStatCpu> ParseProcStatCpu(std::string_view text) {
  std::optional<ProcStatCpu> out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (out || f.size() < 5 || f[0] != "cpu") {
      return;
    }
    uint64_t v[8] = {};
    for (size_t i = 1; i < f.size() && i <= 8; ++i) {
      auto n = ToU64(f[i]);
      if (!n) {
        return;
      }
      v[i - 1] = *n;
    }
    out = ProcStatCpu{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  });
  return out;
}

std::optional<LoadAvg> ParseLoadAvg(std::string_view text) {
  auto f = Fields(Trim(text));
  if (f.size() < 4) {
    return std::nullopt;
  }
  LoadAvg l;
  double* loads[] = {&l.one, &l.five, &l.fifteen};
  for (int i = 0; i < 3; ++i) {
    std::string s(f[i]);
    char* end = nullptr;
    *loads[i] = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) {
      return std::nullopt;
    }
  }
  size_t slash = f[3].find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  auto running = ToU64(f[3].substr(0, slash));
  auto total = ToU64(f[3].substr(slash + 1));
  if (!running || !total) {
    return std::nullopt;
  }
  l.running = *running;
  l.total_threads = *total;
  return l;
}

std::vector<InterfaceStats> ParseNetDev(std::string_view text) {
  std::vector<InterfaceStats> out;
  ForEachLine(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.find('|') != std::string_view::npos) {
      return;  // the two header lines
    }
    auto f = Fields(line.substr(colon + 1));
    if (f.size() < 16) {
      return;
    }
    InterfaceStats s;
    s.name = std::string(Trim(line.substr(0, colon)));
    auto rx = ToU64(f[0]), rx_err = ToU64(f[2]), tx = ToU64(f[8]), tx_err = ToU64(f[10]);
    if (s.name.empty() || !rx || !rx_err || !tx || !tx_err) {
      return;
    }
    s.rx_bytes = *rx;
    s.rx_errors = *rx_err;
    s.tx_bytes = *tx;
    s.tx_errors = *tx_err;
    out.push_back(std::move(s));
  });
  return out;
}

IoBytes ParseIoStatV2(std::string_view text) {
  IoBytes io;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    for (size_t i = 1; i < f.size(); ++i) {
      size_t eq = f[i].find('=');
      if (eq == std::string_view::npos) {
        continue;
      }
      auto key = f[i].substr(0, eq);
      auto v = ToU64(f[i].substr(eq + 1));
      if (!v) {
        continue;
      }
      if (key == "rbytes") {
        io.read += *v;
      } else if (key == "wbytes") {
        io.write += *v;
      }
    }
  });
  return io;
}

IoBytes ParseBlkioServiceBytesV1(std::string_view text) {
  IoBytes io;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() != 3) {
      return;  // "Total 123" and blank lines
    }
    auto v = ToU64(f[2]);
    if (!v) {
      return;
    }
    if (f[1] == "Read") {
      io.read += *v;
    } else if (f[1] == "Write") {
      io.write += *v;
    }
  });
  return io;
}

std::optional<std::string> HugetlbPageSize(std::string_view file_name) {
  constexpr std::string_view kPrefix = "hugetlb.";
  if (file_name.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  file_name.remove_prefix(kPrefix.size());
  size_t dot = file_name.find('.');
  if (dot == 0 || dot == std::string_view::npos) {
    return std::nullopt;
  }
  auto rest = file_name.substr(dot + 1);
  if (rest != "usage_in_bytes" && rest != "current") {
    return std::nullopt;
  }
  return std::string(file_name.substr(0, dot));
}

}  // namespace capstan::cadvisor
