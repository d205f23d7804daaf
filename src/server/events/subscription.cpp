// Client messages are small JSON objects; anything else is answered with an error naming what is
// wrong, and the connection stays (a dashboard's typo must not cost it its feed).
#include "server/events/subscription.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/events/sync_registry.hpp"

namespace timeside::server::events {

bool subscription::wants(const std::string& result_id) const {
    if (!analyzers) return true;
    for (const auto& a : *analyzers)
        if (result_id == a || (result_id.size() > a.size() && result_id.starts_with(a) && result_id[a.size()] == '.'))
            return true;
    return false;
}

nlohmann::json subscription::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    j["analyzers"] = analyzers ? nlohmann::json(*analyzers) : nlohmann::json(nullptr);
    j["rate"] = rate;
    j["sid"] = sid.empty() ? nlohmann::json(nullptr) : nlohmann::json(sid);
    j["spectrogram"] = columns ? nlohmann::json("u8") : nlohmann::json(nullptr);
    j["start_frame"] = start_frame ? nlohmann::json(*start_frame) : nlohmann::json(nullptr);
    j["output"] = output.empty() ? nlohmann::json(nullptr) : nlohmann::json(output);
    return j;
}

std::string subscribed_json(const subscription& s, const std::string& reason) {
    nlohmann::ordered_json j{{"type", "subscribed"}};
    const nlohmann::json fields = s.to_json();
    for (const auto& [k, v] : fields.items()) j[k] = nlohmann::ordered_json::parse(v.dump());
    j["reason"] = reason;
    return j.dump();
}

std::string start_frame_json(const std::string& sid, const std::string& output, int64_t start_frame, int samplerate) {
    nlohmann::ordered_json j{{"type", "start_frame"}, {"sid", sid}, {"output", output}, {"start_frame", start_frame},
                             {"t", samplerate > 0 ? static_cast<double>(start_frame) / samplerate : 0.0}};
    return j.dump();
}

namespace {

struct field_error {
    std::string field, text;
};

int checked_rate(double v, const std::string& field) {
    if (!(v >= 1 && v <= max_rate) || v != static_cast<int>(v))
        throw field_error{field, fmt::format("expected a whole number of messages per second from 1 to {}", max_rate)};
    return static_cast<int>(v);
}

std::string checked_analyzer(const std::string& name, const catalog& c, const std::string& field) {
    if (!c.knows(name)) {
        std::vector<std::string> ids;
        for (const auto& a : c.analyzers) ids.push_back(a.id);
        throw field_error{field, fmt::format("'{}' is not an analyzer or result of {}; it has: {}", name,
                                             c.item.empty() ? fmt::format("mount '{}'", c.mount) : fmt::format("item feed '{}'", c.item),
                                             ids.empty() ? "none" : fmt::format("{}", fmt::join(ids, ", ")))};
    }
    return name;
}

std::string checked_sid(const std::string& sid, const std::string& field) {
    if (const std::string problem = sid_problem(sid); !problem.empty()) throw field_error{field, problem};
    return sid;
}

subscription read_subscribe(const nlohmann::json& j, const catalog& c) {
    subscription s;
    for (const auto& [key, value] : j.items()) {
        if (key == "type") continue;
        if (key == "analyzers") {
            if (value.is_null()) continue;
            if (!value.is_array()) throw field_error{key, "expected an array of analyzer or result ids, or null for all"};
            std::vector<std::string> names;
            for (size_t i = 0; i < value.size(); ++i) {
                const std::string field = fmt::format("analyzers[{}]", i);
                if (!value[i].is_string()) throw field_error{field, "expected an analyzer or result id (a string)"};
                names.push_back(checked_analyzer(value[i].get<std::string>(), c, field));
            }
            s.analyzers = std::move(names);
        } else if (key == "rate") {
            if (!value.is_number()) throw field_error{key, "expected a number of messages per second"};
            s.rate = checked_rate(value.get<double>(), key);
        } else if (key == "sid") {
            if (value.is_null()) continue;  // none
            if (!value.is_string()) throw field_error{key, "expected a listener's token (a string), or null"};
            s.sid = checked_sid(value.get<std::string>(), key);
        } else if (key == "spectrogram") {
            if (!value.is_null() && value != "u8") throw field_error{key, "expected \"u8\" (8-bit binary columns) or null"};
            s.columns = value == "u8";
        } else {
            throw field_error{key, "unknown field; subscribe takes: analyzers, rate, sid, spectrogram"};
        }
    }
    return s;
}

}  // namespace

client_message parse_client_message(std::string_view text, const catalog& c) {
    client_message m;
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        m.error = "bad_json";
        m.text = fmt::format("not JSON: {}", e.what());
        return m;
    }
    if (!j.is_object()) {
        m.error = "bad_json";
        m.text = "expected a JSON object with a \"type\"";
        return m;
    }
    auto type = j.find("type");
    if (type == j.end() || !type->is_string()) {
        m.error = "bad_field";
        m.field = "type";
        m.text = "expected \"type\": \"subscribe\" or \"ping\"";
        return m;
    }
    try {
        if (*type == "subscribe") {
            m.sub = read_subscribe(j, c);
            m.type = client_message::kind::subscribe;
        } else if (*type == "ping") {
            for (const auto& [key, value] : j.items())
                if (key != "type" && key != "id") throw field_error{key, "unknown field; ping takes: id"};
            if (auto id = j.find("id"); id != j.end()) m.ping_id = *id;
            m.type = client_message::kind::ping;
        } else {
            m.error = "unknown_type";
            m.field = "type";
            m.text = fmt::format("unknown message type '{}'; a client sends: subscribe, ping", type->get<std::string>());
        }
    } catch (const field_error& e) {
        m.error = "bad_field";
        m.field = e.field;
        m.text = e.text;
    }
    return m;
}

subscription subscription_from_query(const raw_parameters& query, const catalog& c, bool binary) {
    subscription s;
    auto text = [](const param_value& v) {
        if (const auto* str = std::get_if<std::string>(&v)) return *str;
        return std::visit([](const auto& x) { return fmt::format("{}", x); }, v);
    };
    try {
        for (const auto& [key, value] : query) {
            if (key == "analyzers") {
                std::vector<std::string> names;
                const std::string list = text(value);
                size_t from = 0;
                while (from <= list.size()) {
                    const size_t comma = std::min(list.find(',', from), list.size());
                    if (comma > from) names.push_back(checked_analyzer(list.substr(from, comma - from), c, key));
                    from = comma + 1;
                }
                s.analyzers = std::move(names);
            } else if (key == "rate") {
                const std::string v = text(value);
                char* end = nullptr;
                const double d = std::strtod(v.c_str(), &end);
                if (v.empty() || *end) throw field_error{key, "expected a number of messages per second"};
                s.rate = checked_rate(d, key);
            } else if (key == "sid") {
                s.sid = checked_sid(text(value), key);
            } else if (key == "spectrogram") {
                if (!binary) throw field_error{key, "binary columns need a WebSocket (SSE carries text only)"};
                if (text(value) != "u8") throw field_error{key, "expected u8 (8-bit binary columns)"};
                s.columns = true;
            } else {
                throw field_error{key, "unknown parameter; /events takes: analyzers, rate, sid, spectrogram"};
            }
        }
    } catch (const field_error& e) {
        throw usage_error(fmt::format("{}: {}", e.field, e.text));
    }
    return s;
}

}  // namespace timeside::server::events
