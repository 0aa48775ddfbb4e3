#include "cni-plugins/lib/validate.h"

namespace capstan::cni {

namespace {
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsIdentifier(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max || !IsAlnum(s[0])) {
    return false;
  }
  for (char c : s) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}
}  // namespace

bool IsValidNetworkName(std::string_view name) { return IsIdentifier(name, 253); }

bool IsValidContainerId(std::string_view id) { return IsIdentifier(id, 1024); }

bool IsValidIfName(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= ' ' || u == 0x7f) {
      return false;
    }
  }
  return true;
}

bool IsValidPluginType(std::string_view type) {
  if (type.empty() || type.size() > 255 || type == "." || type == "..") {
    return false;
  }
  for (char c : type) {
    if (c == '/' || c == '\0') {
      return false;
    }
  }
  return true;
}

}  // namespace capstan::cni
