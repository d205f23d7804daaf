// Vamp parameters as declared parameters: numbers with Vamp's range and default, integers when
// quantized by 1, value names as choices mapped back to the plugin's values, quantize steps,
// programs, and block sizes chosen as vamp-simple-host chooses them.
#include <catch2/catch.hpp>

#include <filesystem>

#include "analyzers/vamp/vamp_catalog.hpp"
#include "analyzers/vamp/vamp_parameters.hpp"
#include "core/errors.hpp"

using namespace timeside;
using namespace timeside::vamp;

namespace {
vamp_parameter descriptor(float min, float max, float def, bool quantized = false, float step = 0,
                          std::vector<std::string> names = {}) {
    vamp_parameter d;
    d.identifier = "p";
    d.name = "P";
    d.description = "a parameter";
    d.unit = "dB";
    d.minValue = min;
    d.maxValue = max;
    d.defaultValue = def;
    d.isQuantized = quantized;
    d.quantizeStep = step;
    d.valueNames = std::move(names);
    return d;
}

parameter_set values_for(const parameter_spec& spec, raw_parameters raw) {
    return validate_parameters("test", std::span(&spec, 1), raw);
}
}  // namespace

TEST_CASE("vamp: a continuous parameter is a number with the plugin's range, default and unit", "[vamp]") {
    const auto d = descriptor(0, 20, 3);
    const auto spec = parameter_from_vamp(d);
    CHECK(spec.type == param_type::number);
    CHECK(spec.min == 0.0);
    CHECK(spec.max == 20.0);
    CHECK(std::get<double>(spec.default_value) == 3.0);
    CHECK(spec.unit == "dB");
    CHECK(vamp_value(d, values_for(spec, {{"p", std::string("7.25")}})) == 7.25f);
    CHECK_THROWS_AS(values_for(spec, {{"p", std::string("21")}}), usage_error);
}

TEST_CASE("vamp: quantized by 1 is an integer; value names make it a choice", "[vamp]") {
    const auto counted = descriptor(1, 8, 4, true, 1);
    const auto ispec = parameter_from_vamp(counted);
    CHECK(ispec.type == param_type::integer);
    CHECK(std::get<int64_t>(ispec.default_value) == 4);
    CHECK_THROWS_AS(values_for(ispec, {{"p", std::string("2.5")}}), usage_error);
    CHECK(vamp_value(counted, values_for(ispec, {{"p", std::string("6")}})) == 6.0f);

    const auto named = descriptor(2, 4, 3, true, 1, {"Mixed", "Smooth", "Crisp"});
    const auto cspec = parameter_from_vamp(named);
    CHECK(cspec.type == param_type::choice);
    CHECK(cspec.choices == std::vector<std::string>{"Mixed", "Smooth", "Crisp"});
    CHECK(std::get<std::string>(cspec.default_value) == "Smooth");
    CHECK(vamp_value(named, values_for(cspec, {{"p", std::string("Crisp")}})) == 4.0f);
    CHECK(vamp_value(named, values_for(cspec, {})) == 3.0f);
    CHECK_THROWS_AS(values_for(cspec, {{"p", std::string("Loud")}}), usage_error);
}

TEST_CASE("vamp: other quantize steps snap the value to the plugin's grid", "[vamp]") {
    const auto d = descriptor(0, 1, 0.5f, true, 0.25f);
    const auto spec = parameter_from_vamp(d);
    CHECK(spec.type == param_type::number);
    CHECK(vamp_value(d, values_for(spec, {{"p", std::string("0.3")}})) == 0.25f);
    CHECK(vamp_value(d, values_for(spec, {{"p", std::string("0.9")}})) == 1.0f);
}

TEST_CASE("vamp: our own parameter names are not taken by a plugin's", "[vamp]") {
    CHECK(parameter_name("threshold") == "threshold");
    CHECK(parameter_name("program") == "param_program");
    CHECK(parameter_name("input_blocksize") == "param_input_blocksize");
}

TEST_CASE("vamp: block and step sizes default as vamp-simple-host's", "[vamp]") {
    CHECK(preferred_sizes(0, 0, true).block == 1024);
    CHECK(preferred_sizes(0, 0, true).step == 512);
    CHECK(preferred_sizes(0, 0, false).step == 1024);
    CHECK(preferred_sizes(256, 64, true).step == 64);
    CHECK(preferred_sizes(256, 512, true).block == 1024);  // a step over the block: twice the step
    CHECK(preferred_sizes(256, 512, false).block == 512);
}

TEST_CASE("vamp: percussiononsets' parameters, and the ones given reach the plugin", "[vamp]") {
    const VampPluginDescriptor* d = nullptr;
    for (const auto& e : installed_outputs())
        if (e.info.id == "vamp_percussiononsets_onsets") d = e.descriptor;
    REQUIRE(d);  // vamp-examples (DEBIAN_PACKAGES)
    auto plugin = instantiate(d, 44100);
    const auto specs = declare_parameters(*plugin);
    std::map<std::string, parameter_spec> by_name;
    for (const auto& s : specs) by_name[s.name] = s;
    REQUIRE(by_name.count("threshold"));
    CHECK(by_name["threshold"].min == 0.0);
    CHECK(by_name["threshold"].max == 20.0);
    CHECK(std::get<double>(by_name["threshold"].default_value) == 3.0);
    CHECK(std::get<int64_t>(by_name["input_blocksize"].default_value) == 1024);
    CHECK(std::get<int64_t>(by_name["input_stepsize"].default_value) == 512);
    CHECK(by_name.count("program") == 0);  // it has no programs

    auto values = validate_parameters("t", specs, {{"threshold", std::string("5.5")}, {"input_blocksize", std::string("2048")}});
    const auto sizes = apply_parameters(*plugin, values);
    CHECK(plugin->getParameter("threshold") == 5.5f);
    CHECK(plugin->getParameter("sensitivity") == 40.0f);  // not given: the plugin's own default
    CHECK(sizes.block == 2048);
    CHECK(sizes.step == 1024);  // half the block given (the reference host's default for no preference)
}

namespace {
// A plugin with programs, as the host SDK sees one (the installed examples have none).
class programmed_plugin : public _VampHost::Vamp::Plugin {
public:
    programmed_plugin() : Plugin(44100) {}
    bool initialise(size_t, size_t, size_t) override { return true; }
    void reset() override {}
    InputDomain getInputDomain() const override { return TimeDomain; }
    std::string getIdentifier() const override { return "programmed"; }
    std::string getName() const override { return "Programmed"; }
    std::string getDescription() const override { return ""; }
    std::string getMaker() const override { return ""; }
    std::string getCopyright() const override { return ""; }
    int getPluginVersion() const override { return 1; }
    ParameterList getParameterDescriptors() const override { return {descriptor(0, 10, 1)}; }
    float getParameter(std::string) const override { return gain_; }
    void setParameter(std::string, float v) override { gain_ = v; }
    ProgramList getPrograms() const override { return {"soft", "loud"}; }
    std::string getCurrentProgram() const override { return program_; }
    void selectProgram(std::string p) override {
        program_ = p;
        gain_ = p == "loud" ? 9.0f : 1.0f;
    }
    OutputList getOutputDescriptors() const override { return {}; }
    FeatureSet process(const float* const*, _VampHost::Vamp::RealTime) override { return {}; }
    FeatureSet getRemainingFeatures() override { return {}; }

private:
    float gain_ = 1.0f;
    std::string program_ = "soft";
};
}  // namespace

TEST_CASE("vamp: programs are a choice; a program given is selected, parameters given override it", "[vamp]") {
    programmed_plugin plugin;
    const auto specs = declare_parameters(plugin);
    auto program = std::find_if(specs.begin(), specs.end(), [](auto& s) { return s.name == "program"; });
    REQUIRE(program != specs.end());
    CHECK(program->choices == std::vector<std::string>{"soft", "loud"});
    CHECK(std::get<std::string>(program->default_value) == "soft");

    apply_parameters(plugin, validate_parameters("t", specs, {{"program", std::string("loud")}}));
    CHECK(plugin.getCurrentProgram() == "loud");
    CHECK(plugin.getParameter("p") == 9.0f);
    apply_parameters(plugin, validate_parameters("t", specs, {{"program", std::string("loud")}, {"p", std::string("2")}}));
    CHECK(plugin.getParameter("p") == 2.0f);
}
