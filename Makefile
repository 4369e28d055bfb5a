# The two commands of the quick start (README.md):
#   make        install what the build needs, build, and run the demo
#   make test   build, then run every test (unit tests and integration tests)
# Everything else is Meson's: build/ is an ordinary Meson build directory.

BUILD ?= build
PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all deps build demo test unit integration fuzz clean

all: build demo

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job on the embedded default: Debian's python3, unmodified, under coffer.
demo: build
	$(BUILD)/coffer run -- /usr/bin/python3 -c 'import platform, sys; print("hello from", platform.python_implementation(), sys.version.split()[0], "inside coffer")'

unit: build
	meson test -C $(BUILD) --print-errorlogs

integration: build
	COFFER_BUILD=$(abspath $(BUILD)) $(PYTEST) -q tests/integration

test: unit integration

# libFuzzer on the manifest and SIGSTRUCT parsers (FUZZ_SECONDS per target);
# CI runs it after the tests.
fuzz: build
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} ./scripts/fuzz.sh

clean:
	rm -rf $(BUILD)
