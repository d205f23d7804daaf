// The parameter validator: one place decides what a valid value is, whatever its source.
#include "core/parameters.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/text.hpp"

namespace timeside {

const char* to_string(param_type t) {
    switch (t) {
        case param_type::boolean: return "boolean";
        case param_type::integer: return "integer";
        case param_type::number: return "number";
        case param_type::string: return "string";
        case param_type::choice: return "choice";
        case param_type::color: return "color";
    }
    return "?";
}

namespace {

std::string fmt_number(double v) {
    if (std::floor(v) == v && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
    return fmt::format("{}", v);
}

std::string value_text(const param_value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::string>) return x;
            else if constexpr (std::is_same_v<T, double>) return fmt_number(x);
            else return std::to_string(x);
        },
        v);
}

nlohmann::json value_json(const param_value& v) {
    return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

std::optional<int64_t> parse_int(std::string_view s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<double> parse_double(std::string_view s) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(std::string_view s) {
    std::string l(s);
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
    if (l == "false" || l == "0" || l == "no" || l == "off") return false;
    return std::nullopt;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string url_decode(std::string_view s, std::string_view whole) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            int hi = i + 1 < s.size() ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                throw usage_error(fmt::format("malformed percent-encoding in query '{}'", whole));
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::optional<rgb> parse_color(std::string_view text) {
    std::string s = trim(text);
    if (!s.empty() && s.front() == '#') s.erase(0, 1);
    if (s == "white") return rgb{255, 255, 255};
    if (s == "black") return rgb{0, 0, 0};
    if (s.size() != 6) return std::nullopt;
    int v[6];
    for (int i = 0; i < 6; ++i)
        if ((v[i] = hex_digit(s[i])) < 0) return std::nullopt;
    return rgb{static_cast<uint8_t>(v[0] * 16 + v[1]), static_cast<uint8_t>(v[2] * 16 + v[3]),
               static_cast<uint8_t>(v[4] * 16 + v[5])};
}

std::string parameter_spec::expectation() const {
    switch (type) {
        case param_type::boolean: return "true or false";
        case param_type::integer:
            if (!allowed.empty()) return fmt::format("one of: {}", fmt::join(allowed, ", "));
            return fmt::format("an integer from {} to {}", fmt_number(*min), fmt_number(*max));
        case param_type::number:
            return fmt::format("a number from {} to {}", fmt_number(*min), fmt_number(*max));
        case param_type::string: return "a string";
        case param_type::choice: return fmt::format("one of: {}", fmt::join(choices, ", "));
        case param_type::color: return "a colour as #rrggbb (or white, black)";
    }
    return {};
}

nlohmann::json parameter_spec::schema() const {
    nlohmann::json j = {{"name", name},
                        {"description", description},
                        {"type", to_string(type)},
                        {"default", value_json(default_value)}};
    if (min) j["min"] = *min;
    if (max) j["max"] = *max;
    if (!choices.empty()) j["choices"] = choices;
    if (!allowed.empty()) j["choices"] = allowed;
    if (!unit.empty()) j["unit"] = unit;
    return j;
}

parameter_spec boolean_param(std::string name, std::string description, bool def) {
    return {std::move(name), std::move(description), param_type::boolean, def, {}, {}, {}, {}, {}};
}

parameter_spec integer_param(std::string name, std::string description, int64_t def, int64_t min,
                             int64_t max, std::string unit) {
    return {std::move(name), std::move(description), param_type::integer, def,
            static_cast<double>(min), static_cast<double>(max), {}, std::move(unit), {}};
}

parameter_spec integer_choice_param(std::string name, std::string description, int64_t def,
                                    std::vector<int64_t> allowed, std::string unit) {
    auto [lo, hi] = std::minmax_element(allowed.begin(), allowed.end());
    parameter_spec s = integer_param(std::move(name), std::move(description), def, *lo, *hi, std::move(unit));
    s.allowed = std::move(allowed);
    return s;
}

parameter_spec number_param(std::string name, std::string description, double def, double min,
                            double max, std::string unit) {
    return {std::move(name), std::move(description), param_type::number, def, min, max, {},
            std::move(unit), {}};
}

parameter_spec string_param(std::string name, std::string description, std::string def) {
    return {std::move(name), std::move(description), param_type::string, std::move(def),
            {}, {}, {}, {}, {}};
}

parameter_spec choice_param(std::string name, std::string description, std::string def,
                            std::vector<std::string> choices) {
    return {std::move(name), std::move(description), param_type::choice, std::move(def),
            {}, {}, std::move(choices), {}, {}};
}

parameter_spec color_param(std::string name, std::string description, std::string def) {
    return {std::move(name), std::move(description), param_type::color, std::move(def),
            {}, {}, {}, {}, {}};
}

raw_parameters parse_kv_list(std::string_view text) {
    raw_parameters out;
    for (auto piece : split(text, ',')) {
        std::string item = trim(piece);
        if (item.empty()) continue;
        auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            throw usage_error(fmt::format("malformed parameter '{}': expected name=value", item));
        out.emplace_back(trim(item.substr(0, eq)), trim(item.substr(eq + 1)));
    }
    return out;
}

raw_parameters parse_query(std::string_view query) {
    raw_parameters out;
    for (auto item : split(query, '&')) {
        if (item.empty()) continue;
        auto eq = item.find('=');
        std::string name = url_decode(item.substr(0, eq), query);
        std::string value = eq == std::string_view::npos ? std::string("true") : url_decode(item.substr(eq + 1), query);
        if (name.empty()) throw usage_error(fmt::format("malformed query '{}': empty parameter name", query));
        out.emplace_back(std::move(name), std::move(value));
    }
    return out;
}

raw_parameters raw_from_json(const nlohmann::json& object, std::string_view where) {
    if (!object.is_object())
        throw usage_error(fmt::format("{}: parameters must be an object", where));
    raw_parameters out;
    for (const auto& [k, v] : object.items()) {
        if (v.is_boolean()) out.emplace_back(k, v.get<bool>());
        else if (v.is_number_integer()) out.emplace_back(k, v.get<int64_t>());
        else if (v.is_number()) out.emplace_back(k, v.get<double>());
        else if (v.is_string()) out.emplace_back(k, v.get<std::string>());
        else
            throw usage_error(fmt::format("{}: parameter '{}' must be a boolean, number or string",
                                          where, k));
    }
    return out;
}

namespace {

// Converts one raw value to the spec's type, or returns nullopt if it cannot be.
std::optional<param_value> coerce(const parameter_spec& spec, const param_value& raw) {
    const std::string* text = std::get_if<std::string>(&raw);
    switch (spec.type) {
        case param_type::boolean:
            if (auto b = std::get_if<bool>(&raw)) return *b;
            if (text) {
                if (auto b = parse_bool(*text)) return *b;
            }
            return std::nullopt;
        case param_type::integer: {
            std::optional<int64_t> v;
            if (auto i = std::get_if<int64_t>(&raw)) v = *i;
            else if (auto d = std::get_if<double>(&raw)) {
                if (std::floor(*d) == *d && std::fabs(*d) < 9e18) v = static_cast<int64_t>(*d);
            } else if (text) v = parse_int(trim(*text));
            if (!v || *v < *spec.min || *v > *spec.max) return std::nullopt;
            if (!spec.allowed.empty() && std::find(spec.allowed.begin(), spec.allowed.end(), *v) == spec.allowed.end())
                return std::nullopt;
            return *v;
        }
        case param_type::number: {
            std::optional<double> v;
            if (auto i = std::get_if<int64_t>(&raw)) v = static_cast<double>(*i);
            else if (auto d = std::get_if<double>(&raw)) v = *d;
            else if (text) v = parse_double(trim(*text));
            if (!v || !std::isfinite(*v) || *v < *spec.min || *v > *spec.max) return std::nullopt;
            return *v;
        }
        case param_type::string:
            if (text) return *text;
            return std::nullopt;
        case param_type::choice:
            if (text && std::find(spec.choices.begin(), spec.choices.end(), *text) != spec.choices.end())
                return *text;
            return std::nullopt;
        case param_type::color:  // normalised, so equal colours give equal cache keys
            if (auto c = text ? parse_color(*text) : std::nullopt)
                return fmt::format("#{:02x}{:02x}{:02x}", c->r, c->g, c->b);
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

parameter_set validate_parameters(std::string_view owner, std::span<const parameter_spec> specs,
                                  const raw_parameters& raw) {
    parameter_set out;
    for (const auto& s : specs) out.set(s.name, s.default_value, false);
    for (const auto& [name, value] : raw) {
        auto it = std::find_if(specs.begin(), specs.end(), [&name = name](const auto& s) { return s.name == name; });
        if (it == specs.end()) {
            std::vector<std::string> names;
            for (const auto& s : specs) names.push_back(s.name);
            throw usage_error(
                names.empty()
                    ? fmt::format("{}: unknown parameter '{}': {} takes no parameters", owner, name, owner)
                    : fmt::format("{}: unknown parameter '{}'; valid parameters: {}", owner, name,
                                  fmt::join(names, ", ")));
        }
        auto v = coerce(*it, value);
        if (!v)
            throw usage_error(fmt::format("{}: invalid value {}={}: expected {}", owner, name,
                                          value_text(value), it->expectation()));
        out.set(name, std::move(*v), true);
    }
    return out;
}

namespace {
const param_value& lookup(const std::map<std::string, param_value>& m, const std::string& name) {
    auto it = m.find(name);
    if (it == m.end()) throw std::logic_error("parameter '" + name + "' is not declared");
    return it->second;
}
}  // namespace

int64_t parameter_set::integer(const std::string& name) const {
    return std::get<int64_t>(lookup(values_, name));
}

double parameter_set::number(const std::string& name) const {
    const auto& v = lookup(values_, name);
    if (auto i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    return std::get<double>(v);
}

bool parameter_set::boolean(const std::string& name) const {
    return std::get<bool>(lookup(values_, name));
}

const std::string& parameter_set::string(const std::string& name) const {
    return std::get<std::string>(lookup(values_, name));
}

rgb parameter_set::color(const std::string& name) const {
    auto c = parse_color(string(name));
    if (!c) throw std::logic_error("parameter '" + name + "' holds no colour");
    return *c;
}

nlohmann::json parameter_set::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : values_) j[k] = value_json(v);
    return j;
}

std::string parameter_set::to_kv() const {
    std::string out;
    for (const auto& [k, v] : values_) {
        if (!out.empty()) out += ',';
        out += k + "=" + value_text(v);
    }
    return out;
}

}  // namespace timeside
