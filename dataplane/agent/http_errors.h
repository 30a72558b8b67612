// How a control-path failure becomes an HTTP reply: one table from errno (as
// carried by sluice::Error::code()) to HTTP status and a stable error code
// string, and the JSON error body every endpoint uses:
//   {"error":{"code":"invalid","message":"...","path":"/spec"}}
// "message" is the Error's message (complete, user-facing); "path" is a JSON
// pointer into the request body naming the offending input, or "" when the
// error is not about one field.
//
// The table (errno -> status, code):
//   EBADMSG          400 malformed        body is not JSON / not HTTP
//   EINVAL, ENODEV   422 invalid          valid JSON, invalid value
//   EACCES           401 unauthorized     no or wrong bearer token
//   EPERM            403 forbidden
//   ENOENT           404 not_found
//   EEXIST           409 exists
//   EBUSY            409 busy
//   ESTALE           409 stale_generation (If-Match / generation conflict)
//   E2BIG, EMSGSIZE  413 too_large
//   ENOSPC           507 no_space         a table or the port list is full
//   ENOTSUP, ENOSYS  501 not_implemented
//   EAGAIN, ENOMEM   503 unavailable
//   ETIMEDOUT        504 timeout
//   anything else    500 internal
// Statuses that do not come from errno: 405 method_not_allowed (the router),
// 431 headers_too_large and 505 malformed (an HTTP version other than 1.0 or
// 1.1) from the session, 503 unavailable (too many clients).
#pragma once

#include <string>

namespace sluice {

struct HttpError {
  unsigned status;
  const char* code;
};

// The row of the table above for `errno_value`.
HttpError http_error_for(int errno_value);

// The JSON error body (serialised, one line).
std::string error_body(const std::string& code, const std::string& message,
                       const std::string& path);

}  // namespace sluice
