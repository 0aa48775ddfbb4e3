#include "cri/runtime/image_user.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <sstream>

#include "common/path_in_root.h"

namespace capstan::cri::runtime {

namespace {

std::vector<std::string> SplitFields(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) {
    out.push_back(field);
  }
  if (!line.empty() && line.back() == sep) {
    out.emplace_back();
  }
  return out;
}

std::optional<uint32_t> ParseId(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

std::vector<gid_t> GroupsOf(const std::string& name, gid_t primary,
                            const std::vector<GroupEntry>& groups) {
  std::vector<gid_t> out;
  for (const auto& g : groups) {
    for (const auto& m : g.members) {
      if (m == name && g.gid != primary) {
        out.push_back(g.gid);
      }
    }
  }
  return out;
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto f = SplitFields(line, ':');
    if (f.size() < 4) {
      continue;
    }
    auto uid = ParseId(f[2]);
    auto gid = ParseId(f[3]);
    if (uid && gid) {
      out.push_back({f[0], *uid, *gid});
    }
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto f = SplitFields(line, ':');
    if (f.size() < 3) {
      continue;
    }
    auto gid = ParseId(f[2]);
    if (!gid) {
      continue;
    }
    GroupEntry g{f[0], *gid, {}};
    if (f.size() > 3 && !f[3].empty()) {
      g.members = SplitFields(f[3], ',');
    }
    out.push_back(std::move(g));
  }
  return out;
}

ResolvedUser ResolveUid(uid_t uid, std::string_view passwd, std::string_view group) {
  ResolvedUser r{uid, 0, {}};
  for (const auto& p : ParsePasswd(passwd)) {
    if (p.uid == uid) {
      r.gid = p.gid;
      r.additional_gids = GroupsOf(p.name, p.gid, ParseGroup(group));
      break;
    }
  }
  return r;
}

Result<ResolvedUser> ResolveUser(std::string_view user, std::string_view passwd,
                                 std::string_view group) {
  if (user.empty()) {
    return ResolveUid(0, passwd, group);
  }
  std::string_view user_part = user;
  std::optional<std::string_view> group_part;
  if (size_t colon = user.find(':'); colon != std::string_view::npos) {
    user_part = user.substr(0, colon);
    group_part = user.substr(colon + 1);
  }
  ResolvedUser r;
  if (auto uid = ParseId(user_part)) {
    r = ResolveUid(*uid, passwd, group);
  } else {
    bool found = false;
    for (const auto& p : ParsePasswd(passwd)) {
      if (p.name == user_part) {
        r.uid = p.uid;
        r.gid = p.gid;
        r.additional_gids = GroupsOf(p.name, p.gid, ParseGroup(group));
        found = true;
        break;
      }
    }
    if (!found) {
      return Fail(Code::kInvalidArgument, "user {:?} is not in the image's /etc/passwd",
                  std::string(user_part));
    }
  }
  if (group_part) {
    if (auto gid = ParseId(*group_part)) {
      r.gid = *gid;
    } else {
      bool found = false;
      for (const auto& g : ParseGroup(group)) {
        if (g.name == *group_part) {
          r.gid = g.gid;
          found = true;
          break;
        }
      }
      if (!found) {
        return Fail(Code::kInvalidArgument, "group {:?} is not in the image's /etc/group",
                    std::string(*group_part));
      }
    }
  }
  return r;
}

std::string ReadFileInRoot(const std::string& rootfs, const std::string& path) {
  int root = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    return "";
  }
  auto fd = OpenInRoot(root, path, O_RDONLY);
  ::close(root);
  if (!fd) {
    return "";
  }
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd->get(), buf, sizeof(buf))) > 0 && out.size() < (4 << 20)) {
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace capstan::cri::runtime
