# SPDX-License-Identifier: MIT
# A thin front over CMake (as neovim does). The two commands of the README:
#   make demo   run what exists end to end
#   make test   build, run every test, then again under ASan+UBSan
# Both install missing Debian packages first (apt-get, as root or via sudo).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

# Libraries the product links, then the tools that build it.
DEBS  = libsqlite3-dev libsodium-dev libuv1-dev libmsgpack-dev libcmocka-dev libzstd-dev
TOOLS = cmake make gcc libc6-dev pkg-config gettext
SUDO  = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

CMAKE_FLAGS ?=

.PHONY: all deps build test test-fast test-asan demo bench fuzz format pot clean

all: build

deps:
	@missing=""; \
	for p in $(DEBS) $(TOOLS) $(EXTRA_DEBS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing$$missing"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "make deps: all Debian packages are installed"; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Tests run in parallel; each has its own temp dir and port 0.
test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCS_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

test: test-fast test-asan

demo: build
	@sh tests/demo.sh $(BUILD)

bench: build
	@for b in $(BUILD)/bench/bench_*; do echo "== $$b"; $$b || exit 1; done

fuzz:
	$(MAKE) deps EXTRA_DEBS="clang libclang-rt-14-dev"
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCS_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@for f in $(FUZZ_BUILD)/tests/fuzz_*; do \
	    name=$$(basename $$f | sed 's/^fuzz_//'); \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
	    echo "== $$f for $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        $(FUZZ_BUILD)/corpus/$$name tests/fuzz/corpus/$$name || exit 1; \
	done

# Translators' refresh: po/POTFILES lists the sources with marked strings,
# po/cellsync.pot gets every _() and N_() string, and po/*.po gain the new
# ones (untranslated or fuzzy, which the po_complete test reports). Keep the
# xgettext options alike in tests/cli/test_po_complete.sh.
POT_SOURCES = $(sort $(wildcard proto/src/*.c client/*.c daemon/*.c))
pot: deps
	grep -l -E '\<N?_\(' $(POT_SOURCES) >po/POTFILES
	xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
	    --add-comments=TRANSLATORS: --package-name=cellsync \
	    --files-from=po/POTFILES -o po/cellsync.pot
	@for po in po/*.po; do \
	    echo "msgmerge $$po"; \
	    msgmerge --quiet --update --backup=none --previous $$po po/cellsync.pot || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
