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

install: build
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
	rm -rf build build-asan build-fuzz
