# The front door. `make demo` and `make test` work on a fresh Debian 12 machine: they install what
# is missing (apt-get, non-interactive), configure, build, and run.
.PHONY: web-deps web-libs all deps build build-asan samples demo serve test fuzz bench soak clean

# Build and run dependencies (clang and its sanitizer and libFuzzer runtimes for build-asan), then
# what the tests use as independent references and real recordings (ffmpeg, sox, gst-discoverer;
# alsa-utils' and sound-theme-freedesktop's sounds), and the live peers and clients the live tests
# drive (icecast2 for its status shape and as a relay, ezstream as a libshout source, mpv as a
# listener; gstreamer1.0-libav decodes AAC sources; nginx as the caching proxy in front of HLS); the
# Vamp host SDK, and Vamp plugins with their reference host, vamp-simple-host (vamp-examples), that
# the Vamp analyzers are checked against.
DEBIAN_PACKAGES := meson ninja-build pkg-config g++ python3 \
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base \
	gstreamer1.0-plugins-good libsoup2.4-1 gstreamer1.0-tools gstreamer1.0-plugins-base-apps \
	libogg-dev libvorbis-dev libopus-dev libspeexdsp-dev libflac-dev libmp3lame-dev libcairo2-dev libssl-dev \
	libebur128-dev libaubio-dev libfftw3-dev libhdf5-dev libgstrtspserver-1.0-dev \
	nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libfmt-dev catch2 libboost-dev \
	ffmpeg sox aubio-tools hdf5-tools python3-websockets python3-jsonschema \
	alsa-utils sound-theme-freedesktop \
	clang libclang-rt-14-dev \
	icecast2 ezstream mpv gstreamer1.0-libav nginx \
	vamp-plugin-sdk vamp-examples rubberband-vamp

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BUILD := build
ASAN_BUILD := build-asan
TIMESIDE := $(BUILD)/src/cli/timeside

all: build web-libs

# Installs only what is missing; a machine that has everything never touches apt.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Installs those of the Debian packages $(1) that are missing; a machine that has them never touches apt.
install_missing = missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The JavaScript readers the tests load our outputs with (waveform-data.js), from the npm registry
# at the versions package-lock.json pins. Node.js and npm from Debian when the machine has none.
# The browser that plays our media (tests/integration/test_browser.py: Chromium driven over the
# DevTools protocol with python3-websockets), from Debian.
WEB_TESTS := tests/web
BROWSER_PACKAGES := chromium python3-websockets
web-deps: web-libs
	@$(call install_missing,$(BROWSER_PACKAGES))
	@[ $(WEB_TESTS)/node_modules/.package-lock.json -nt $(WEB_TESTS)/package-lock.json ] || \
		(cd $(WEB_TESTS) && npm ci --no-audit --no-fund --loglevel=error)

# The dashboard's libraries (web/package.json, pinned by web/package-lock.json), from the npm
# registry, their files copied to web/lib/{name}@{version}/: served from there (a year's cache:
# the version is in the URL), installed with the page by `meson install`; nothing from a CDN.
UPLOT_FILES := dist/uPlot.esm.js dist/uPlot.min.css LICENSE
web-libs:
	@command -v npm >/dev/null 2>&1 || { echo "Installing: nodejs npm"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	@[ web/node_modules/.package-lock.json -nt web/package-lock.json ] || \
		(cd web && npm ci --no-audit --no-fund --loglevel=error)
	@v=$$(node -p "require('./web/node_modules/uplot/package.json').version") && d=web/lib/uplot@$$v && \
		mkdir -p $$d && for f in $(UPLOT_FILES); do cp -p web/node_modules/uplot/$$f $$d/; done

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The sanitizer build (clang: ASan + UBSan, libFuzzer coverage on every object): the sanitized unit
# tests, the sanitized `timeside` for the HTTP and bad-input integration tests, and the fuzz
# targets, from one compilation of the sources. -O1 and line tables only: quicker to compile than
# -O2 -g, and reports still name function, file and line. A gcc build-asan is configured again.
FUZZ_TARGETS := request config stream spec decode
CCACHE := $(shell command -v ccache)
$(ASAN_BUILD)/build.ninja:
	CC="$(CCACHE) clang" CXX="$(CCACHE) clang++" meson setup $(ASAN_BUILD) --buildtype=debugoptimized -Doptimization=1 -Ddebug=false \
		-Dc_args=-gline-tables-only -Dcpp_args=-gline-tables-only \
		-Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true

# Shared libraries the unit tests load (plugin and Vamp fixtures): built beside unit_tests.
UNIT_FIXTURES := $(foreach f,good throws taken other_layout,tests/unit/core/$(f).so) tests/unit/vamp/fixtures/binned.so

build-asan: deps
	@grep -qs '"fuzzing", "value": true' $(ASAN_BUILD)/meson-info/intro-buildoptions.json || rm -rf $(ASAN_BUILD)
	$(MAKE) $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) tests/unit_tests $(UNIT_FIXTURES) src/cli/timeside $(FUZZ_TARGETS:%=fuzz/%_fuzzer)

samples: build
	$(TIMESIDE) samples samples

# The seed example: one decode of sweep.wav, drawn, measured and encoded in one pass.
demo: samples
	mkdir -p out
	cd out && ../$(BUILD)/docs/examples/dive_in ../samples/sweep.wav

# The server on http://127.0.0.1:8000/, serving samples/ and presets/ (docs/server.md).
serve: samples web-libs
	$(TIMESIDE) serve

test: build build-asan samples web-deps
	/usr/bin/python3 tests/run_tests.py --build $(BUILD) --asan-build $(ASAN_BUILD)

# The fuzzers for FUZZ_SECONDS each (default 10 minutes): every libFuzzer target of fuzz/ (new
# corpus entries kept in a scratch folder, printed), then the black-box HTTP fuzzer against the
# sanitized binary. fuzz/run.py says how to minimize a finding and add it to the seed corpus.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= $(shell date +%s)
fuzz: build-asan samples
	/usr/bin/python3 fuzz/run.py --build $(ASAN_BUILD) --seconds $(FUZZ_SECONDS) --keep
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:handle_abort=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		TIMESIDE_BUILD=$(ASAN_BUILD) TIMESIDE_ROOT=$(CURDIR) /usr/bin/python3 tests/integration/http_fuzz.py \
		--seed $(FUZZ_SEED) --count 100000000 --time-limit $(FUZZ_SECONDS)

# wrk loads the server in bench/server.py; liquidsoap is the re-encoding peer of bench/live_*.py.
# Debian's, installed when missing. Node's ws (bench/node, pinned by its package-lock.json, from
# npm) is the peer of bench/events_fanout.py.
BENCH_PACKAGES := wrk liquidsoap
BENCH_NODE := bench/node
bench: build samples web-deps
	@$(call install_missing,$(BENCH_PACKAGES))
	@[ $(BENCH_NODE)/node_modules/.package-lock.json -nt $(BENCH_NODE)/package-lock.json ] || \
		(cd $(BENCH_NODE) && npm ci --no-audit --no-fund --loglevel=error)
	/usr/bin/python3 bench/run.py --build $(BUILD)
	/usr/bin/python3 bench/live_fanout.py --build $(BUILD)
	/usr/bin/python3 bench/live_latency.py --build $(BUILD)
	/usr/bin/python3 bench/rtsp_latency.py --build $(BUILD)
	/usr/bin/python3 bench/live_mounts.py --build $(BUILD)
	/usr/bin/python3 bench/events_fanout.py --build $(BUILD)
	/usr/bin/python3 bench/dashboard.py --build $(BUILD)
	/usr/bin/python3 bench/vamp_pass.py --build $(BUILD)
	/usr/bin/python3 bench/relay_tree.py --build $(BUILD)
	/usr/bin/python3 bench/hls.py --build $(BUILD)

# One live mount with analyzers for SOAK_MINUTES (60 by default): its RSS must grow less than
# 5 MiB after the first minute (bench/live_soak.py; make test runs a short one).
SOAK_MINUTES ?= 60
soak: build samples
	/usr/bin/python3 bench/live_soak.py --build $(BUILD) --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) samples out
