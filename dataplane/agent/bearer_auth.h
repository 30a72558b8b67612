// Bearer-token check for the agent (RFC 6750 "Authorization: Bearer TOKEN").
#pragma once

#include <string_view>

namespace sluice {

// True when `authorization` (the header's value, "" if absent) is
// "Bearer <token>" (scheme case-insensitive, one or more blanks) and the
// token equals `token`. The comparison takes the same time wherever the
// first difference is. An empty `token` matches nothing.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

}  // namespace sluice
