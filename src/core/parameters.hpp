// Typed, self-describing processor parameters and the one validator every source goes through:
// CLI `k=v` lists, URL queries, JSON objects and TOML tables all become raw_parameters first,
// then validate_parameters() checks names, types, ranges and choices against the specs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace timeside {

enum class param_type { boolean, integer, number, string, choice, color };
const char* to_string(param_type t);

using param_value = std::variant<bool, int64_t, double, std::string>;

struct rgb {
    uint8_t r = 0, g = 0, b = 0;
    bool operator==(const rgb&) const = default;
};

struct parameter_spec {
    std::string name;
    std::string description;
    param_type type = param_type::string;
    param_value default_value;
    std::optional<double> min, max;    // integer and number
    std::vector<std::string> choices;  // choice
    std::string unit;
    std::vector<int64_t> allowed;      // integer: when not empty, the only valid values

    nlohmann::json schema() const;
    std::string expectation() const;  // "an integer from 1 to 32768", "one of: a, b"
};

parameter_spec boolean_param(std::string name, std::string description, bool def);
parameter_spec integer_param(std::string name, std::string description, int64_t def, int64_t min,
                             int64_t max, std::string unit = {});
// An integer that takes only the listed values (MP3 bitrates, bit depths...).
parameter_spec integer_choice_param(std::string name, std::string description, int64_t def,
                                    std::vector<int64_t> allowed, std::string unit = {});
parameter_spec number_param(std::string name, std::string description, double def, double min,
                            double max, std::string unit = {});
parameter_spec string_param(std::string name, std::string description, std::string def = {});
parameter_spec choice_param(std::string name, std::string description, std::string def,
                            std::vector<std::string> choices);
parameter_spec color_param(std::string name, std::string description, std::string def);

// Values as they arrive: a std::string holds text still to be parsed for its parameter's type.
using raw_parameters = std::vector<std::pair<std::string, param_value>>;

raw_parameters parse_kv_list(std::string_view text);  // "width=2048,height=128"
raw_parameters parse_query(std::string_view query);   // "width=2048&bg_color=%23ffffff"
raw_parameters raw_from_json(const nlohmann::json& object, std::string_view where);

// Validated values: every declared parameter present, with its default if not given.
class parameter_set {
public:
    parameter_set() = default;

    int64_t integer(const std::string& name) const;
    double number(const std::string& name) const;
    bool boolean(const std::string& name) const;
    const std::string& string(const std::string& name) const;
    rgb color(const std::string& name) const;
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    // True when the caller set it, false when it holds its default.
    bool given(const std::string& name) const { return given_.count(name) != 0; }

    void set(const std::string& name, param_value v, bool given) {
        values_[name] = std::move(v);
        if (given) given_[name] = true;
    }
    const std::map<std::string, param_value>& values() const { return values_; }
    nlohmann::json to_json() const;
    std::string to_kv() const;  // canonical "a=1,b=x", sorted by name (cache keys)

private:
    std::map<std::string, param_value> values_;
    std::map<std::string, bool> given_;
};

// Throws usage_error naming `owner`, the parameter and what was expected.
parameter_set validate_parameters(std::string_view owner, std::span<const parameter_spec> specs,
                                  const raw_parameters& raw);

std::optional<rgb> parse_color(std::string_view text);

}  // namespace timeside
