# The README's commands. Everything real lives in scripts/.
.PHONY: all build run test bench clean fuzz

all: build

build:
	@scripts/install-deps.sh
	@if [ ! -f build/build.ninja ]; then meson setup build; fi
	@ninja -C build

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
