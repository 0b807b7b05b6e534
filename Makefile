# The README's commands. Everything real lives in scripts/.
.PHONY: all build run test bench clean fuzz install uninstall docs

# make install [PREFIX=/usr/local] [SYSCONFDIR=/etc when PREFIX=/usr, else PREFIX/etc] [DESTDIR=] (scripts/install.sh)
PREFIX ?= /usr/local
SYSCONFDIR ?=
DESTDIR ?=
BUILD ?= build

all: build

build:
	@scripts/install-deps.sh
	@if [ ! -f $(BUILD)/build.ninja ]; then meson setup $(BUILD); fi
	@ninja -C $(BUILD)

# A service host gets the build toolchain only (no PostgreSQL, Redis, Node or test packages) and no unit tests.
install:
	@DEPS=build WITH_BROWSER=0 WITH_TEST_TOOLS=0 WITH_BENCH=0 scripts/install-deps.sh
	@if [ ! -f $(BUILD)/build.ninja ]; then meson setup $(BUILD) -Dtests=disabled; fi
	@ninja -C $(BUILD) comicbatch docs/comicbatch.1 docs/comicbatch.ini.5 docs/comicbatch.ini.example
	@PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)" DESTDIR="$(DESTDIR)" BUILD="$(BUILD)" scripts/install.sh install

uninstall:
	@PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)" DESTDIR="$(DESTDIR)" BUILD="$(BUILD)" scripts/install.sh uninstall

# Rewrites the README's generated blocks (CLI, configuration) from the tables in the code.
docs: build
	@BUILD="$(BUILD)" scripts/gen-docs.sh

run: build
	@scripts/run.sh

test:
	@scripts/test.sh

bench: build
	@scripts/bench.sh

fuzz:
	@scripts/fuzz.sh

clean:
	rm -rf build build-asan build-fuzz build-release
