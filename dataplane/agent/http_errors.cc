#include "dataplane/agent/http_errors.h"

#include <cerrno>
#include <nlohmann/json.hpp>

namespace sluice {
namespace {

struct Row {
  int errno_value;
  HttpError error;
};

constexpr Row kTable[] = {
    {EBADMSG, {400, "malformed"}},       {EINVAL, {422, "invalid"}},
    {ENODEV, {422, "invalid"}},          {EACCES, {401, "unauthorized"}},
    {EPERM, {403, "forbidden"}},         {ENOENT, {404, "not_found"}},
    {EEXIST, {409, "exists"}},           {EBUSY, {409, "busy"}},
    {ESTALE, {409, "stale_generation"}}, {E2BIG, {413, "too_large"}},
    {EMSGSIZE, {413, "too_large"}},      {ENOSPC, {507, "no_space"}},
    {ENOTSUP, {501, "not_implemented"}}, {ENOSYS, {501, "not_implemented"}},
    {EAGAIN, {503, "unavailable"}},      {ENOMEM, {503, "unavailable"}},
    {ETIMEDOUT, {504, "timeout"}},
};

}  // namespace

HttpError http_error_for(int errno_value) {
  for (const Row& row : kTable) {
    if (row.errno_value == errno_value) return row.error;
  }
  return {500, "internal"};
}

std::string error_body(const std::string& code, const std::string& message,
                       const std::string& path) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}, {"path", path}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice
