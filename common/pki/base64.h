#pragma once
// Base64 (standard, padded) and base64url (unpadded, for JWTs).

#include <optional>
#include <string>
#include <string_view>

namespace capstan::pki {

std::string Base64Encode(std::string_view in);
std::optional<std::string> Base64Decode(std::string_view in);  // whitespace ignored
std::string Base64UrlEncode(std::string_view in);
std::optional<std::string> Base64UrlDecode(std::string_view in);

}  // namespace capstan::pki
