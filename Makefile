# The front door. `make demo` and `make test` work on a fresh Debian 12 machine: they install what
# is missing (apt-get, non-interactive), configure, build, and run.
.PHONY: web-deps all deps build build-asan samples demo serve test bench clean

# Build and run dependencies, then what the tests use as independent references and real
# recordings (ffmpeg, sox, gst-discoverer; alsa-utils' and sound-theme-freedesktop's sounds).
DEBIAN_PACKAGES := meson ninja-build pkg-config g++ python3 \
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base \
	gstreamer1.0-plugins-good gstreamer1.0-tools gstreamer1.0-plugins-base-apps \
	libogg-dev libvorbis-dev libopusenc-dev libflac-dev libmp3lame-dev libcairo2-dev libssl-dev \
	libebur128-dev libaubio-dev libfftw3-dev libhdf5-dev \
	nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libfmt-dev catch2 libboost-dev \
	ffmpeg sox aubio-tools hdf5-tools \
	alsa-utils sound-theme-freedesktop

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BUILD := build
ASAN_BUILD := build-asan
TIMESIDE := $(BUILD)/src/cli/timeside

all: build

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
web-deps:
	@$(call install_missing,$(BROWSER_PACKAGES))
	@command -v npm >/dev/null 2>&1 || { echo "Installing: nodejs npm"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	@[ $(WEB_TESTS)/node_modules/.package-lock.json -nt $(WEB_TESTS)/package-lock.json ] || \
		(cd $(WEB_TESTS) && npm ci --no-audit --no-fund --loglevel=error)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) tests/unit_tests

samples: build
	$(TIMESIDE) samples samples

# The seed example: one decode of sweep.wav, drawn, measured and encoded in one pass.
demo: samples
	mkdir -p out
	cd out && ../$(BUILD)/docs/examples/dive_in ../samples/sweep.wav

# The server on http://127.0.0.1:8000/, serving samples/ and presets/ (docs/server.md).
serve: samples
	$(TIMESIDE) serve

test: build build-asan samples web-deps
	/usr/bin/python3 tests/run_tests.py --build $(BUILD) --asan-build $(ASAN_BUILD)

# wrk loads the server in bench/server.py; Debian's, installed when missing.
BENCH_PACKAGES := wrk
bench: build samples
	@$(call install_missing,$(BENCH_PACKAGES))
	/usr/bin/python3 bench/run.py --build $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) samples out
