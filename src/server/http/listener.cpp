// The acceptor runs on its own strand; each accepted socket is bound to a new strand, which
// becomes its session's executor, so one connection's handlers never run concurrently.
#include "server/http/listener.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/log.hpp"

namespace timeside::server::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr int accept_batch = 64;
}  // namespace

listener::listener(asio::io_context& ioc, const listen_address& address, session_context& context)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), backoff_(acceptor_.get_executor()), context_(context) {
    auto fail = [&](const std::string& cause) {
        return processing_error(fmt::format("listen {}: {}", address.to_string(), cause));
    };
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (ec) throw fail("not an IP address (give a numeric address such as 127.0.0.1 or ::1)");
    const tcp::endpoint endpoint(ip, address.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) acceptor_.non_blocking(true, ec);  // on_accept's batch: accept() says would_block when empty
    if (ec) throw fail(ec.message());
}

void listener::start() { do_accept(); }

void listener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        boost::system::error_code ec;
        self->acceptor_.close(ec);
        self->backoff_.cancel();
    });
}

void listener::do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), boost::beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // EMFILE and the like: say so, pause and accept again (the connection cap should prevent it).
        log(log_level::error, "accept", {{"error", ec.message()}});
        backoff_.expires_after(std::chrono::milliseconds(100));
        backoff_.async_wait([self = shared_from_this()](boost::system::error_code e) {
            if (!e && self->acceptor_.is_open()) self->do_accept();
        });
        return;
    }
    std::make_shared<session>(std::move(socket), context_)->start();
    // A crowd tuning in at once is taken from the backlog here, a batch per handler, rather than
    // one connection per trip through the io_context's queue, where each waits behind every
    // listener's wake-up while the kernel's backlog fills. An error ends the batch; the next
    // async_accept meets it again and reports it.
    for (int i = 0; i < accept_batch; ++i) {
        tcp::socket next(asio::make_strand(ioc_));
        acceptor_.accept(next, ec);
        if (ec) break;  // would_block: the backlog is empty
        std::make_shared<session>(std::move(next), context_)->start();
    }
    do_accept();
}

}  // namespace timeside::server::http
