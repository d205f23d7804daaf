// How a job fails, as its client and its log see it: what the client may be told (the cause, a
// parameter, the item's name under its media folder) apart from what only the log keeps (the
// server's own paths, errno detail), and the status each kind of failure answers with.
#pragma once

#include <stdexcept>
#include <string>

#include <boost/beast/http/status.hpp>

#include "core/errors.hpp"

namespace timeside::server::media {

// Thrown by a job's producer when the request asked for more than the server allows (results
// beyond max_result_values): the client gets a 400 with the message, not a 500.
class request_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A failure of the job's machinery (its output file, the cache, the source changing under it):
// what() is the public message, detail() what the log adds (paths and all).
class job_error : public processing_error {
public:
    job_error(const std::string& public_message, std::string detail,
              boost::beast::http::status code = boost::beast::http::status::internal_server_error)
        : processing_error(public_message), detail_(std::move(detail)), code_(code) {}
    const std::string& detail() const { return detail_; }
    boost::beast::http::status code() const { return code_; }

private:
    std::string detail_;
    boost::beast::http::status code_;
};

// The source file is not what the job's key was made from any more (rewritten, truncated,
// replaced while it was read, or since the library scanned it): the output is not cached.
class source_changed_error : public job_error {
public:
    using job_error::job_error;
};

}  // namespace timeside::server::media
