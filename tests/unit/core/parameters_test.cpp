// The parameter validator: every source (k=v, query, JSON) gives the same typed values, and every
// bad value is rejected with a message naming the parameter and what was expected.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/parameters.hpp"

using namespace timeside;

namespace {
const std::vector<parameter_spec> specs = {
    integer_param("width", "image width", 1024, 1, 16384, "px"),
    number_param("quality", "encoder quality", 0.5, -0.1, 1.0),
    boolean_param("split_channels", "one lane per channel", false),
    choice_param("colormap", "palette", "default", {"default", "viridis", "magma"}),
    color_param("bg_color", "background", "#ffffff"),
    string_param("title", "a title"),
};

std::string message_of(const raw_parameters& raw) {
    try {
        validate_parameters("demo", specs, raw);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("defaults fill every declared parameter", "[core][parameters]") {
    auto p = validate_parameters("demo", specs, {});
    CHECK(p.integer("width") == 1024);
    CHECK(p.number("quality") == Approx(0.5));
    CHECK_FALSE(p.boolean("split_channels"));
    CHECK(p.string("colormap") == "default");
    CHECK(p.color("bg_color") == rgb{255, 255, 255});
    CHECK_FALSE(p.given("width"));
}

TEST_CASE("k=v lists, URL queries and JSON give the same values", "[core][parameters]") {
    auto a = validate_parameters("demo", specs, parse_kv_list("width=2048, quality=0.6,split_channels=yes,bg_color=#102030"));
    auto b = validate_parameters("demo", specs, parse_query("width=2048&quality=0.6&split_channels=true&bg_color=%23102030"));
    auto c = validate_parameters("demo", specs, raw_from_json(nlohmann::json::parse(
        R"({"width": 2048, "quality": 0.6, "split_channels": true, "bg_color": "102030"})"), "test"));
    for (const auto* p : {&a, &b, &c}) {
        CHECK(p->integer("width") == 2048);
        CHECK(p->number("quality") == Approx(0.6));
        CHECK(p->boolean("split_channels"));
        CHECK(p->color("bg_color") == rgb{0x10, 0x20, 0x30});
        CHECK(p->given("width"));
    }
    CHECK(a.to_kv() == b.to_kv());
}

TEST_CASE("a query decodes percent-escapes and plus signs", "[core][parameters]") {
    auto p = validate_parameters("demo", specs, parse_query("title=Hello+W%C3%B6rld%21"));
    CHECK(p.string("title") == "Hello W\xc3\xb6rld!");
    CHECK_THROWS_AS(parse_query("title=%zz"), usage_error);
    CHECK_THROWS_AS(parse_query("title=%4"), usage_error);
}

TEST_CASE("bad values name the parameter and the valid range or choices", "[core][parameters]") {
    CHECK(message_of({{"width", std::string("0")}}) ==
          "demo: invalid value width=0: expected an integer from 1 to 16384");
    CHECK(message_of({{"width", std::string("100000")}}).find("from 1 to 16384") != std::string::npos);
    CHECK(message_of({{"width", std::string("12.5")}}).find("width=12.5") != std::string::npos);
    CHECK(message_of({{"width", 12.5}}).find("an integer") != std::string::npos);
    CHECK(message_of({{"quality", std::string("nan")}}).find("quality") != std::string::npos);
    CHECK(message_of({{"quality", std::string("2")}}).find("a number from -0.1 to 1") != std::string::npos);
    CHECK(message_of({{"colormap", std::string("jet")}}) ==
          "demo: invalid value colormap=jet: expected one of: default, viridis, magma");
    CHECK(message_of({{"bg_color", std::string("nope")}}).find("#rrggbb") != std::string::npos);
    CHECK(message_of({{"split_channels", std::string("maybe")}}).find("true or false") != std::string::npos);
    CHECK(message_of({{"heigth", std::string("3")}}) ==
          "demo: unknown parameter 'heigth'; valid parameters: width, quality, split_channels, colormap, "
          "bg_color, title");
}

TEST_CASE("an integer with a list of allowed values takes only those", "[core][parameters]") {
    const std::vector<parameter_spec> bits = {integer_choice_param("bits", "bit depth", 16, {16, 24})};
    CHECK(validate_parameters("flac", bits, parse_kv_list("bits=24")).integer("bits") == 24);
    CHECK_THROWS_WITH(validate_parameters("flac", bits, parse_kv_list("bits=20")),
                      "flac: invalid value bits=20: expected one of: 16, 24");
    CHECK(bits[0].schema()["choices"] == nlohmann::json::array({16, 24}));
}

TEST_CASE("integral JSON numbers are accepted for integers, fractional ones are not", "[core][parameters]") {
    CHECK(validate_parameters("demo", specs, {{"width", 300.0}}).integer("width") == 300);
    CHECK(validate_parameters("demo", specs, {{"quality", int64_t{1}}}).number("quality") == 1.0);
}

TEST_CASE("malformed k=v lists are usage errors", "[core][parameters]") {
    CHECK_THROWS_AS(parse_kv_list("width"), usage_error);
    CHECK_THROWS_AS(parse_kv_list("=3"), usage_error);
    CHECK(parse_kv_list("").empty());
    CHECK(parse_kv_list("a=1,,b=2").size() == 2);
}

TEST_CASE("schemas describe type, default and range", "[core][parameters]") {
    auto j = specs[0].schema();
    CHECK(j["name"] == "width");
    CHECK(j["type"] == "integer");
    CHECK(j["default"] == 1024);
    CHECK(j["min"] == 1);
    CHECK(j["max"] == 16384);
    CHECK(j["unit"] == "px");
    CHECK(specs[3].schema()["choices"].size() == 3);
}

#include <toml++/toml.h>

#include "core/parameters_toml.hpp"

TEST_CASE("TOML tables give the same values as the other sources", "[core][parameters]") {
    auto table = toml::parse(R"(
        width = 2048
        quality = 0.6
        split_channels = true
        bg_color = "#102030"
    )");
    auto p = validate_parameters("demo", specs, raw_from_toml(table, "preset.toml"));
    CHECK(p.integer("width") == 2048);
    CHECK(p.number("quality") == Approx(0.6));
    CHECK(p.boolean("split_channels"));
    CHECK(p.color("bg_color") == rgb{0x10, 0x20, 0x30});
    auto same = validate_parameters("demo", specs, parse_kv_list("width=2048,quality=0.6,split_channels=1,bg_color=102030"));
    CHECK(p.to_kv() == same.to_kv());  // one canonical form, whatever the source
}

TEST_CASE("TOML values of the wrong type or shape are named", "[core][parameters]") {
    auto bad_type = toml::parse(R"(width = "wide")");
    CHECK_THROWS_WITH(validate_parameters("demo", specs, raw_from_toml(bad_type, "x.toml")),
                      "demo: invalid value width=wide: expected an integer from 1 to 16384");
    auto nested = toml::parse("[width]\nx = 1\n");
    CHECK_THROWS_WITH(raw_from_toml(nested, "x.toml"), "x.toml: parameter 'width' must be a boolean, number or string");
}
