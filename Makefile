# SPDX-License-Identifier: MIT
# A thin front over CMake (as neovim does). The two commands of the README:
#   make demo   run what exists end to end
#   make test   check the format and the shell scripts (make lint); build, run every
#               test, then again under ASan+UBSan; the daemon's
#               threaded tests under ThreadSanitizer; six integration tests under
#               valgrind; every fuzz target for 30 s; then build, install and remove
#               the Debian packages (as root)
# Both install missing Debian packages first (apt-get, as root or via sudo).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
VG_BUILD   ?= build-vg
PKG_BUILD  ?= build-pkg
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 30
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_JOBS  ?= $(JOBS)

# Libraries the product links, then the tools that build it, then those make lint runs.
DEBS  = libsqlite3-dev libsodium-dev libuv1-dev libmsgpack-dev libcmocka-dev libzstd-dev \
	libminizip-dev libexpat1-dev libutf8proc-dev libmicrohttpd-dev libsystemd-dev libxlsxwriter-dev
TOOLS = cmake make gcc libc6-dev pkg-config gettext
LINT_DEBS = clang-format shellcheck
# The headless browser the HTML report is checked in (tests/cli/test_html_browser.sh),
# and its WebDriver and python's selenium, which drive the pages of `cellsync ui` through
# a secretary's month (tests/browser/test_month.py, ctest browser_month).
# Optional: installed where the package archive has it (apt-cache policy shows a
# candidate), and a failure to install it is not fatal; without it ctest reports that
# test as skipped. About 20 s to install on Debian 12 (measured: 21 s, lists already fetched).
BROWSER_DEBS = chromium chromium-driver python3-selenium
# The spreadsheet library the import test makes its real .xlsx files with
# (tests/cli/test_import.sh), and the age tool the encrypted backups are checked against
# both ways (tests/cli/test_backup_age.sh), and poppler-utils, whose pdftotext and pdftoppm
# read the report's A4 PDFs (tests/browser/test_report.py: without it, the PDF's text is
# not read and make report-screenshots writes no page pictures). Optional like the
# browser: without them those tests skip.
TEST_DEBS = python3-openpyxl age poppler-utils
SUDO  = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

CMAKE_FLAGS ?=

.PHONY: all deps lint build test test-fast test-asan test-tsan test-valgrind test-packages package \
	demo bench bench-store bench-chain fuzz fuzz-ci fuzz-build soak format pot clean screenshots \
	report-screenshots

# $(call ctest_names,NAME...): a ctest -R expression matching exactly those tests.
empty :=
space := $(empty) $(empty)
ctest_names = ^($(subst $(space),|,$(strip $(1))))$$

all: build

deps:
	@installed() { dpkg-query -W -f='$${Status}\n' $$1 2>/dev/null | grep -q '^install ok installed$$'; }; \
	candidate() { apt-cache policy $$1 2>/dev/null | grep -q 'Candidate: [^(]'; }; \
	missing=""; browser=""; \
	for p in $(DEBS) $(TOOLS) $(LINT_DEBS) $(EXTRA_DEBS); do \
	    installed $$p || missing="$$missing $$p"; \
	done; \
	for p in $(BROWSER_DEBS) $(TEST_DEBS); do installed $$p || browser="$$browser $$p"; done; \
	if [ -n "$$missing" ] || { [ -n "$$browser" ] && ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; }; then \
	    $(SUDO) apt-get update -qq || exit 1; \
	fi; \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing$$missing"; \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing || exit 1; \
	fi; \
	for p in $$browser; do \
	    if candidate $$p; then \
	        echo "make deps: installing $$p (for a test)"; \
	        DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$p \
	            || echo "make deps: could not install '$$p': the test that needs it will skip"; \
	    else \
	        echo "make deps: the package archive has no '$$p': the test that needs it will skip"; \
	    fi; \
	done; \
	[ -n "$$missing$$browser" ] || echo "make deps: all Debian packages are installed"

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The cheapest check, first in make test: every tracked C file as clang-format
# (.clang-format) writes it, and every tracked shell script through shellcheck
# (.shellcheckrc): the *.sh files, and those without an extension whose first line
# runs a shell (tests/valgrind/, packaging/debian/, .ci/).
lint: deps
	@files=$$(git ls-files '*.c' '*.h') || exit 1; \
	clang-format --dry-run -Werror $$files || { echo "lint: run 'make format'"; exit 1; }; \
	echo "lint: clang-format: $$(echo $$files | wc -w) C files as formatted"
	@scripts=$$(git ls-files '*.sh') || exit 1; \
	for f in $$(git ls-files | grep -v '\.[^/]*$$'); do \
	    head -n 1 "$$f" | grep -q '^#!.*[/ ]\(ba\|da\)\{0,1\}sh\b' && scripts="$$scripts $$f"; \
	done; \
	shellcheck -x $$scripts && echo "lint: shellcheck: $$(echo $$scripts | wc -w) shell scripts clean"

# Tests run in parallel; each has its own temp dir and port 0.
test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCS_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# The tests where threads meet: `cellsyncd serve` runs merges, chunks and imports on a
# libuv worker thread beside the loop, and a connection can close while a job of its is
# on the worker (net_faults cuts a sync at many points); test_conn drives the connection
# code and the worker on a real loop; net_busy reads msg1s on the crypto stage (libuv's
# threadpool) beside the worker; cli_ui_sync runs the web pages' sync and stick jobs
# on their worker thread beside the server's; net_chain runs three hubs, each a device of
# the one above it, their syncs up beside their workers, and net_chain_levels a serving hub's
# own thread that syncs up, reloads and stops mid-sync. Every process writes its
# ThreadSanitizer report to tsan-logs/ of the build tree (the tests do not look at a
# hub's exit status), and any report fails the target. net_many with 40 devices: 200
# take over a minute under TSan, near the test's 120 s bound on a busy machine (all 200
# passed clean here). Left out: cli_reports (report queries, single-threaded, minutes
# under TSan), net_client_crash (kills the client, which has no threads; 1 to 2 min),
# test_hub (hub.c without the server: no threads). The tests run with address space
# randomization off where setarch may turn it off: gcc 12's ThreadSanitizer stops at
# start ("unexpected memory mapping") on kernels that randomize mmap with more than 30
# bits (vm.mmap_rnd_bits = 32; github.com/google/sanitizers/issues/1716).
TSAN_TESTS ?= test_conn cli_sync cli_bundle cli_ops cli_ui_sync net_hostile net_busy net_revoke net_faults net_many net_crash net_chain net_chain_levels
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCS_TSAN=ON $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	@logs=$(abspath $(TSAN_BUILD))/tsan-logs; rm -rf $$logs; mkdir -p $$logs; \
	norand=$$(setarch $$(uname -m) -R true 2>/dev/null && echo "setarch $$(uname -m) -R"); \
	TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1:log_path=$$logs/tsan \
	CS_MANY_DEVICES=40 $$norand ctest --test-dir $(TSAN_BUILD) --output-on-failure -j $(JOBS) \
	    --no-tests=error -R '$(call ctest_names,$(TSAN_TESTS))'; rc=$$?; \
	for f in $$logs/*; do [ -e "$$f" ] || continue; echo "== $$f"; cat "$$f"; rc=1; done; \
	[ $$rc -eq 0 ] && echo "test-tsan: no ThreadSanitizer reports" || \
	    echo "test-tsan: FAILED (ThreadSanitizer reports, if any, above)"; exit $$rc

# The integration tests with cellsync and cellsyncd under valgrind memcheck
# (-DCS_VALGRIND=ON: tests/valgrind/ wraps them). What the ASan pass cannot see: reads of
# uninitialised memory; and a hub's leaks at exit, which LSan reports in the hub's log and
# exit status, neither of which most tests look at. Every process writes its report to
# valgrind-logs/ of the build tree (not to stderr, which the tests read); any error, or a
# block definitely or indirectly lost, fails the target. Under valgrind each run of a
# binary costs about 1 s of CPU, so a subset: the CLI's refusals, a candidate's whole
# path, live sync through a real hub, and bundles through the hub's import and inbox (267
# runs, 300 s of CPU); the office's commands at a serving hub (conflicts, search, member
# add) and the sync report's pending on a live hub (113 runs more, 150 s of CPU).
# net_chain (hubs chained) ran clean under it (114 runs) but costs four minutes of the
# CI's thirty: ASan and TSan run it. Left out: tests on timing (net_hostile: a 2 s
# handshake timeout; net_crash, net_client_crash: SIGKILL at moments), tests of volume (net_many: 200
# devices, net_faults: a large sync cut at many points, cli_reports: a generated district)
# and the other CLI tests (paths ASan already covers).
VALGRIND_TESTS ?= cli_cellsync cli_candidate cli_sync cli_bundle cli_hub_ops cli_report_pending
test-valgrind:
	$(MAKE) deps EXTRA_DEBS="valgrind"
	cmake -S . -B $(VG_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCS_VALGRIND=ON $(CMAKE_FLAGS)
	cmake --build $(VG_BUILD) -j $(JOBS)
	@logs=$(VG_BUILD)/valgrind-logs; rm -rf $$logs; \
	ctest --test-dir $(VG_BUILD) --output-on-failure -j $(JOBS) \
	    --no-tests=error -R '$(call ctest_names,$(VALGRIND_TESTS))'; rc=$$?; \
	for f in $$(find $$logs -type f -size +0 2>/dev/null); do \
	    echo "== $$f"; cat "$$f"; rc=1; \
	done; \
	[ $$rc -eq 0 ] && \
	    echo "test-valgrind: $$(ls $$logs 2>/dev/null | wc -l) runs, no errors or leaks" || \
	    echo "test-valgrind: FAILED (valgrind reports, if any, above)"; exit $$rc

test: lint test-fast test-asan test-tsan test-valgrind fuzz-ci test-packages

# Debian packages in $(PKG_BUILD)/ (packaging/CMakeLists.txt): cellsyncd, cellsync and
# cellsync-common. A Release build of the installed targets only (no tests, no
# benchmarks: CMAKE_SKIP_INSTALL_ALL_DEPENDENCY keeps CPack from building them); warnings
# are the test builds' business, so a compiler's -O3-only warning cannot stop a release.
# The hardening Debian's own packages get from dpkg-buildflags (bookworm), without
# needing dpkg-dev: stack protector, fortified libc calls, read-only relocations.
PKG_CFLAGS  ?= -fstack-protector-strong -fstack-clash-protection -D_FORTIFY_SOURCE=2
PKG_LDFLAGS ?= -Wl,-z,relro -Wl,-z,now
# The packages' Maintainer (packaging/CMakeLists.txt, CS_MAINTAINER): "Name <address>" of
# whoever hands the packages out; empty keeps the one set before, or the default.
CS_MAINTAINER ?=
package: deps
	cmake -S . -B $(PKG_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
	    -DCMAKE_INSTALL_SYSCONFDIR=/etc -DCS_WERROR=OFF -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
	    -DCMAKE_C_FLAGS="$(PKG_CFLAGS)" -DCMAKE_EXE_LINKER_FLAGS="$(PKG_LDFLAGS)" \
	    $(if $(CS_MAINTAINER),-DCS_MAINTAINER="$(CS_MAINTAINER)")
	cmake --build $(PKG_BUILD) -j $(JOBS) --target cellsync cellsyncd cellsync_mo cellsync_man \
	    cellsync_changelog
	cd $(PKG_BUILD) && cpack -G DEB
	@ls -l $(PKG_BUILD)/*.deb
	@sh packaging/offline.sh $(PKG_BUILD) $$(sed -n 's/^project(cellsync VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

# Builds the packages, checks them with lintian (no E: or W: line passes), installs them
# here with dpkg, runs them, removes them (tests/pkg/test_packages.sh); then installs the
# client from the offline installer folder with no network and removes it again
# (tests/pkg/test_offline.sh). Root on Debian only; once, on the plain build, not under
# ASan. Where a script cannot run, it prints "SKIPPED: <why>" and exits 77: make test
# goes on, but says what was not tested (CI runs as root, where both run). lintian is
# installed here, not with the build's DEBS: it is big (measured here, Debian 12 with the
# build's packages: 124 packages, 7 MB to fetch, 14 s to install them from apt's cache).
PKG_TEST_DEBS = lintian
test-packages:
	$(MAKE) --no-print-directory deps EXTRA_DEBS="$(PKG_TEST_DEBS)"
	@rc=0; for t in test_packages test_offline; do \
	    sh tests/pkg/$$t.sh; r=$$?; \
	    if [ $$r -eq 77 ]; then \
	        echo "test-packages: $$t SKIPPED, not passed: see above"; \
	    elif [ $$r -ne 0 ]; then rc=1; fi; \
	done; exit $$rc

demo: build
	@sh tests/demo.sh $(BUILD)

bench: build
	@for b in $(BUILD)/bench/bench_*; do echo "== $$b"; $$b || exit 1; done
	@echo "== bench/bench_reports.sh"; sh bench/bench_reports.sh $(BUILD)
	@echo "== bench/bench_ui.sh"; sh bench/bench_ui.sh $(BUILD)

# Issue 18's table, every row a ratio in one run (bench/bench_store.sh; BENCHMARKS.md):
# a Release build; BASELINE=DIR adds another build's figures in the same run.
REL_BUILD ?= build-rel
bench-store: deps
	cmake -S . -B $(REL_BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(REL_BUILD) -j $(JOBS)
	sh bench/bench_store.sh $(REL_BUILD) $(BASELINE)

# Hubs chained (issue 19; bench/bench_chain.sh, BENCHMARKS.md section 20): a province on
# loopback and COMMUNES commune hubs of CELLS cells syncing a day up, against the same cells
# syncing straight to the province; a Release build, about 10 minutes on 2 cores.
bench-chain: deps
	cmake -S . -B $(REL_BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(REL_BUILD) -j $(JOBS)
	sh bench/bench_chain.sh $(REL_BUILD)

# The pictures of every screen of `cellsync ui` in docs/ui/, at 1366x768 and 390x844
# (NAME-1366.png, NAME-390.png), taken by the browser test as it walks a month; in
# Vietnamese, as the secretaries read them. Needs the browser packages above.
SCREENSHOTS ?= docs/ui
screenshots: build
	@mkdir -p $(SCREENSHOTS)
	CELLSYNC_SCREENSHOTS=$(abspath $(SCREENSHOTS)) CS_BROWSER_LANG=vi CS_UI_LANGUAGE=vi \
	    ctest --test-dir $(BUILD) --output-on-failure -R '^browser_month$$'
	@echo "screenshots: $$(ls $(SCREENSHOTS)/*.png | wc -l) PNG files in $(SCREENSHOTS)/"

# The pictures of the HTML report in docs/reports/ (screen-1280.png, phone-390.png,
# print-a4-portrait-1.png, print-a4-landscape-1.png: the first page of each PDF, with
# pdftoppm from poppler-utils), taken by the browser test of the report's three media.
REPORT_SHOTS ?= docs/reports
report-screenshots: build
	@mkdir -p $(REPORT_SHOTS)
	CELLSYNC_REPORT_SHOTS=$(abspath $(REPORT_SHOTS)) \
	    ctest --test-dir $(BUILD) --output-on-failure -R '^browser_report$$'
	@ls -l $(REPORT_SHOTS)/*.png

# The libFuzzer targets (tests/fuzz, clang with ASan+UBSan), FUZZ_JOBS at a time, each
# on a copy of its seeds in tests/fuzz/corpus (tests/fuzz/run.sh); any crash, leak or
# hang fails, and a table of executions per target ends the run. make fuzz: FUZZ_SECONDS
# each, the corpus kept and grown in $(FUZZ_BUILD)/corpus from run to run. make fuzz-ci
# (in make test): FUZZ_CI_SECONDS each, from the seeds alone, in $(FUZZ_BUILD)/ci.
fuzz-build:
	$(MAKE) deps EXTRA_DEBS="clang libclang-rt-14-dev"
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCS_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_JOBS)

fuzz-ci: fuzz-build
	@sh tests/fuzz/run.sh --fresh $(FUZZ_BUILD) $(FUZZ_CI_SECONDS) $(FUZZ_BUILD)/ci $(FUZZ_JOBS)

# Randomized convergence (tests/sim/sim.c) on 10,000 seeds: failing seeds and a summary;
# then the kill trials: the hub, the client, and hubs chained (cell, commune, province).
soak: build
	$(BUILD)/tests/test_sim --seeds 10000 --quiet
	CS_CRASH_TRIALS=100 sh tests/net/test_crash.sh $(BUILD)/client/cellsync \
	    $(BUILD)/daemon/cellsyncd $(BUILD)/tests/cs_bulk $(BUILD)/tests/cs_fixture
	CS_CLIENT_CRASH_TRIALS=100 sh tests/net/test_client_crash.sh $(BUILD)/client/cellsync \
	    $(BUILD)/daemon/cellsyncd $(BUILD)/tests/cs_bulk $(BUILD)/tests/cs_fixture
	CS_CHAIN_CRASH_TRIALS=50 sh tests/net/test_chain_crash.sh $(BUILD)/client/cellsync \
	    $(BUILD)/daemon/cellsyncd $(BUILD)/tests/cs_bulk $(BUILD)/tests/cs_fixture

# Translators' refresh: po/POTFILES lists the sources with marked strings (and the
# schema descriptor, proto/domain/include/cellsync/schema.h, whose labels are N_()),
# po/cellsync.pot gets every _() and N_() string, and po/*.po gain the new
# ones (untranslated or fuzzy, which the po_complete test reports). Keep the
# xgettext options alike in tests/cli/test_po_complete.sh.
POT_SOURCES = $(sort $(wildcard proto/*/*.c client/*.c client/ui/*.c daemon/*.c) proto/domain/include/cellsync/schema.h \
		proto/base/include/cellsync/error.h)
pot: deps
	grep -l -E '\<N?C?_\(' $(POT_SOURCES) >po/POTFILES
	xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
	    --keyword=C_:1c,2 --keyword=NC_:1c,2 \
	    --add-comments=TRANSLATORS: --package-name=cellsync \
	    --files-from=po/POTFILES -o po/cellsync.pot
	@for po in po/*.po; do \
	    echo "msgmerge $$po"; \
	    msgmerge --quiet --update --backup=none --previous $$po po/cellsync.pot || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD) $(VG_BUILD) $(PKG_BUILD)
