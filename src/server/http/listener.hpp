// Accepts TCP connections on the configured address and starts a session for each, on a strand
// of its own. stop() closes the acceptor (the first step of a graceful drain).
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/http/session.hpp"

namespace timeside::server::http {

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens; throws processing_error "listen ADDRESS: cause" (address in use...).
    listener(boost::asio::io_context& ioc, const listen_address& address, session_context& context);

    void start();
    void stop();  // thread-safe
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;  // after an accept error (EMFILE...): pause, do not spin
    session_context& context_;
};

}  // namespace timeside::server::http
