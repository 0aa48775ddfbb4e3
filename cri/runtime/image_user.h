#pragma once
// Resolving a container's user against the image's own /etc/passwd and /etc/group (read
// inside the rootfs, never following links out of it).

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::cri::runtime {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};
struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

std::vector<PasswdEntry> ParsePasswd(std::string_view text);
std::vector<GroupEntry> ParseGroup(std::string_view text);

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;  // the user's groups from /etc/group
};

// `user` is the image's USER or the CRI's run_as_username: "", "name", "uid", "name:group",
// "uid:gid". `passwd`/`group` are the image's files (empty when absent). A name that is not
// in the files is InvalidArgument; numeric ids need no entry.
Result<ResolvedUser> ResolveUser(std::string_view user, std::string_view passwd,
                                 std::string_view group);
// For a numeric uid (run_as_user): primary gid and groups from the files where present.
ResolvedUser ResolveUid(uid_t uid, std::string_view passwd, std::string_view group);

// Reads a file inside `rootfs` safely; empty when it does not exist.
std::string ReadFileInRoot(const std::string& rootfs, const std::string& path);

}  // namespace capstan::cri::runtime
