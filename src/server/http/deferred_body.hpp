// A body produced once, later, on another thread: the answer of a route whose work must not run on
// a network thread (a reload of the streams folder starts GStreamer pipelines). The session sends
// the head when the body is complete, or a JSON error with the given status when it failed.
#pragma once

#include <mutex>
#include <string>

#include "server/http/reply.hpp"

namespace timeside::server::http {

class deferred_body : public body_stream {
public:
    // Called once, from any thread: the whole body, or the error the client gets instead.
    void complete(std::string body);
    void fail(status code, std::string message);

    void set_notify(std::function<void()> notify) override;
    state take(std::vector<unsigned char>& out, std::string& error) override;
    void cancel() noexcept override {}  // the work goes on: its result matters beyond this client
    status error_status() const override;

private:
    mutable std::mutex mutex_;
    std::function<void()> notify_;
    state state_ = state::pending;  // then data (body_ not taken yet), end, or error
    std::string body_;
    status error_status_ = status::internal_server_error;
};

}  // namespace timeside::server::http
