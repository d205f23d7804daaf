// A loopback server for the ingest tests: the real http::listener, sessions and router, with the
// ingest route taking over into ingest_session, and a mount that records what its sources send
// (each attached input read to its end on a thread of its own, as a mount's clock would).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "push_test_support.hpp"
#include "server/config.hpp"
#include "server/http/listener.hpp"
#include "server/live/ingest_session.hpp"
#include "server/metrics.hpp"

namespace timeside::test::live {


struct source_run {
    tl::source_info info;
    std::vector<float> audio;
    tl::live_input::status last = tl::live_input::status::waiting;
    std::string error;
    std::optional<std::string> title;
    bool detached = false;
    bool finished = false;  // read to `ended` or `failed`
};

class recording_mount : public tl::ingest_mount {
public:
    std::string password = "hackme";
    std::chrono::milliseconds timeout{10000};

    ~recording_mount() override {
        for (auto& [in, t] : readers_) {
            in->stop();
            t.join();
        }
    }
    std::string source_password() const override { return password; }
    audio_format format() const override { return {48000, 2}; }
    std::chrono::milliseconds source_timeout() const override { return timeout; }

    bool attach_source(std::shared_ptr<tl::live_input> input, const tl::source_info& info) override {
        std::lock_guard lock(mutex_);
        if (current_) return false;
        current_ = input;
        runs_.emplace_back();
        runs_.back().info = info;
        const size_t index = runs_.size() - 1;
        readers_.emplace_back(input, std::thread([this, input, index] { read_to_end(input, index); }));
        return true;
    }
    void detach_source(const std::shared_ptr<tl::live_input>& input) override {
        std::lock_guard lock(mutex_);
        if (current_ == input) current_.reset();
        for (size_t i = 0; i < readers_.size(); ++i)
            if (readers_[i].first == input) runs_[i].detached = true;
    }
    bool has_source() const {
        std::lock_guard lock(mutex_);
        return current_ != nullptr;
    }
    size_t run_count() const {
        std::lock_guard lock(mutex_);
        return runs_.size();
    }
    // A copy of run `i` once it is finished and detached (false when not within `within`).
    bool finished_run(size_t i, source_run& out, std::chrono::milliseconds within = 30000ms) const {
        const bool ok = eventually(
            [&] {
                std::lock_guard lock(mutex_);
                return i < runs_.size() && runs_[i].finished && runs_[i].detached;
            },
            within);
        if (!ok) return false;
        std::lock_guard lock(mutex_);
        out = runs_[i];
        return true;
    }

private:
    void read_to_end(std::shared_ptr<tl::live_input> input, size_t index) {
        std::vector<float> audio;
        std::optional<std::string> title;
        tl::live_input::status st = tl::live_input::status::waiting;
        // Bounded: a source that never ends is stopped by the test (then `ended`).
        for (int i = 0; i < 100000; ++i) {
            st = input->read(audio, 4800, 50ms);
            if (auto t = input->take_title()) title = t;
            if (st == tl::live_input::status::ended || st == tl::live_input::status::failed) break;
        }
        std::lock_guard lock(mutex_);
        runs_[index].audio = std::move(audio);
        runs_[index].last = st;
        runs_[index].error = input->error();
        runs_[index].title = title;
        runs_[index].finished = true;
    }

    mutable std::mutex mutex_;
    std::shared_ptr<tl::live_input> current_;
    std::vector<source_run> runs_;
    std::vector<std::pair<std::shared_ptr<tl::live_input>, std::thread>> readers_;
};

// The server: /live/x is an icecast mount, every other id is not.
class ingest_server {
public:
    ingest_server() : endpoint_(connections_, [this](const std::string& id) -> std::shared_ptr<tl::ingest_mount> {
                                   return id == "x" ? mount : nullptr;
                               }) {
        config_.listen = {"127.0.0.1", 0};
        config_.access_log = false;
        routes_.add({server::http::verb::put}, "/live/{id}", [this](const auto& ctx) { return endpoint_.handle(ctx); },
                    tl::ingest_endpoint::route_options());
        context_ = std::make_unique<server::http::session_context>(
            server::http::session_context{config_, routes_, connections_, stats_});
        listener_ = std::make_shared<server::http::listener>(ioc_, config_.listen, *context_);
        listener_->start();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~ingest_server() {
        listener_->stop();
        connections_.close_all();
        work_.reset();
        // Sessions end once closed; the bound keeps a stuck one from hanging the test run.
        eventually([&] { return connections_.count() == 0; }, 5000ms);
        ioc_.stop();
        thread_.join();
    }
    uint16_t port() const { return listener_->local_endpoint().port(); }
    std::string url(const std::string& path, const std::string& credentials = "source:hackme") const {
        return "icecast://" + credentials + "@127.0.0.1:" + std::to_string(port()) + path;
    }
    server::http::connection_registry& connections() { return connections_; }

    std::shared_ptr<recording_mount> mount = std::make_shared<recording_mount>();

private:
    boost::asio::io_context ioc_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(ioc_);
    server::server_config config_;
    server::metrics stats_;
    server::http::connection_registry connections_;
    server::http::router routes_;
    tl::ingest_endpoint endpoint_;
    std::unique_ptr<server::http::session_context> context_;
    std::shared_ptr<server::http::listener> listener_;
    std::thread thread_;
};

// Runs a shell command; its exit status.
inline int run(const std::string& cmd) { return std::system(cmd.c_str()); }

inline std::string read_text(const std::filesystem::path& p) {
    auto b = read_bytes(p);
    return {b.begin(), b.end()};
}

}  // namespace timeside::test::live
