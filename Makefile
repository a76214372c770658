# Jifen SMS/USSD gateway - plain Makefile with explicit object lists.
#   make            build build/jifend, build/jifenctl, build/jifen-sync,
#                   build/jifen-web,
#                   build/jifen-modemsim
#   make check      install missing packages, build with -Werror, run every test
#   make run        install missing packages, build, start the demo (simulator)
#   make asan       ASan+UBSan build, unit and end-to-end tests
#   make valgrind   end-to-end tests with the daemon under valgrind
#   make fuzz       clang libFuzzer targets, short run each
#   make bench      benchmarks (figures, not tests)
#   make torture    power cuts on a loop-mounted ext4 image (root; docs/ROBUSTNESS.md)
#   make install PREFIX=/usr DESTDIR=...   (make uninstall undoes it)
#   make cross-armhf  every program for 32-bit ARM in build-armhf/
#   make check-armhf  the unit and end-to-end tests with those, under qemu
#   make deb          the Debian package in build/deb/ (docs/OPERATIONS.md)

# The one place the version is written: --version of every program, the
# man pages and the Debian package (debian/changelog is checked against it).
VERSION	= 0.9.0

CC	?= gcc
BUILD	?= build
PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR	?=

# Warnings are errors for make check, make asan and CI (WERROR=-Werror),
# not for a user's plain make with another compiler version.
WERROR	?=
WARN	= -std=c11 -Wall -Wextra -Wshadow -Wmissing-prototypes \
	  -Wstrict-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral \
	  $(WERROR)
CFLAGS	?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS	?= -Wl,--as-needed

# --- libraries: each program links its own list ---------------------
# pkg-config name -> the Debian package that provides it.
deb_libserialport = libserialport-dev
deb_libconfig	= libconfig-dev
deb_sqlite3	= libsqlite3-dev
deb_libcjson	= libcjson-dev
deb_libcurl	= libcurl4-openssl-dev
deb_libmicrohttpd = libmicrohttpd-dev
deb_libcrypt	= libcrypt-dev
deb_cmocka	= libcmocka-dev
deb_zlib	= zlib1g-dev
deb_libcrypto	= libssl-dev
ALL_PKGS = libserialport libconfig sqlite3 libcjson libcurl libmicrohttpd \
	   libcrypt zlib libcrypto

# Compile flags: each package asked on its own, so one missing package
# does not empty the flags of the others.
PKG_CFLAGS := $(foreach p,$(ALL_PKGS),$(shell pkg-config --cflags $(p) 2>/dev/null))
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -I. $(PKG_CFLAGS) -DJIFEN_VERSION='"$(VERSION)"'

# $(call libs,PROGRAM,PKG...): the link flags of PKG..., or stop naming
# the first package that is missing and the Debian package to install.
libs = $(foreach p,$(2),$(if $(shell pkg-config --exists $(p) && echo y),,$(error $(1) needs the library $(p): install the Debian package $(deb_$(p))$(DEB_ARCH) (make deps does))))$(shell pkg-config --libs $(2))

JIFEND_PKGS	= libserialport libconfig sqlite3 libcrypt
JIFENCTL_PKGS	= libconfig sqlite3 libcjson libcrypt
# jifen-sync: the only program with HTTP, TLS, JSON-on-the-wire, gzip
JIFEN_SYNC_PKGS	= libconfig sqlite3 libcjson libcurl zlib libcrypto libcrypt
SIM_PKGS	= libcjson
JIFEN_WEB_PKGS	= libconfig sqlite3 libmicrohttpd libcrypt libcjson
TEST_PKGS	= libserialport libconfig sqlite3 libcjson libcrypt cmocka libcrypto

# Debian packages: RUN_DEPS are what building and running need (make deps,
# make run); TEST_DEPS come with make check and the other test targets.
RUN_DEPS = build-essential pkg-config libserialport-dev libconfig-dev \
	   libsqlite3-dev libcjson-dev libcurl4-openssl-dev \
	   libmicrohttpd-dev libcrypt-dev zlib1g-dev libssl-dev scdoc tzdata
TEST_DEPS = libcmocka-dev python3 sqlite3 clang libclang-rt-14-dev valgrind \
	    chromium chromium-driver python3-selenium fonts-noto-cjk
DEB_DEPS = $(RUN_DEPS) $(TEST_DEPS)

# --- modules (one .c/.h pair each) -----------------------------------
# util/: the leaf every module may use (UTF-8, hex digits, ARRAY_SIZE).
UTIL_SRCS	= util/utf8.c util/hex.c util/cli.c
PDU_SRCS	= modem/gsm7.c modem/pdu.c $(UTIL_SRCS)
AT_SRCS		= modem/at.c
PORT_SRCS	= modem/port.c
MODEM_SRCS	= modem/modem.c modem/modem_init.c modem/modem_sms.c modem/modem_ussd.c \
		  modem/modem_nitz.c
CONFIG_SRCS	= config/config.c $(UTIL_SRCS)
STORAGE_SRCS	= storage/store.c storage/phone.c storage/village.c storage/msgq.c \
		  storage/sync.c storage/status.c
GWPURE_SRCS	= gateway/text.c gateway/cmd.c gateway/loan.c gateway/reply.c \
		  gateway/clock.c
GW_SRCS		= gateway/log.c gateway/handlers.c gateway/outq.c gateway/wake.c \
		  gateway/balance.c gateway/prog.c

# What the operator's front ends (jifenctl, jifen-web) add: the console's
# sessions and listings, the household CSV import, the time jifend
# believes (gateway/clockview.c).  Not in jifend.
CONSOLE_SRCS	= storage/web.c gateway/hhimport.c gateway/clockview.c

# The village library every front end links: rules, replies, outbox.
VILLAGE_SRCS = $(PDU_SRCS) $(CONFIG_SRCS) $(STORAGE_SRCS) $(GWPURE_SRCS) \
	       $(GW_SRCS)

# --- programs: each has its folder (SPEC section 2) -----------------
JIFEND_SRCS	= jifend/jifend.c jifend/gw.c jifend/loop.c jifend/notify.c \
		  jifend/syncrun.c \
		  $(AT_SRCS) $(PORT_SRCS) $(MODEM_SRCS) $(VILLAGE_SRCS)
JIFENCTL_SRCS	= jifenctl/jifenctl.c jifenctl/ctl_pdu.c jifenctl/ctl_sim.c \
		  jifenctl/ctl_store.c jifenctl/ctl_review.c jifenctl/ctl_web.c \
		  jifenctl/ctl_sync.c jifenctl/ctl_village.c \
		  $(VILLAGE_SRCS) $(CONSOLE_SRCS)
SIM_SRCS	= tools/modemsim/main.c tools/modemsim/commands.c tools/modemsim/ctl.c \
		  tools/modemsim/net.c tools/modemsim/profiles.c tools/modemsim/buf.c \
		  storage/phone.c $(PDU_SRCS) $(AT_SRCS)
# jifen-web: the console and the USSD callback (SPEC sections 9, 12)
WEBPURE_SRCS	= jifen-web/form.c jifen-web/html.c
JIFEN_WEB_SRCS	= jifen-web/web.c jifen-web/ussd.c jifen-web/auth.c \
		  jifen-web/console.c jifen-web/pages.c $(WEBPURE_SRCS) \
		  $(VILLAGE_SRCS) $(CONSOLE_SRCS)
# jifen-sync: pure wire format (event table, request, response parser),
# then the transport, health, apply, bundle and the run itself
SYNCWIRE_SRCS	= jifen-sync/event.c jifen-sync/wire.c
JIFEN_SYNC_SRCS	= jifen-sync/main.c jifen-sync/transport.c jifen-sync/health.c \
		  jifen-sync/apply.c jifen-sync/bundle.c jifen-sync/run.c \
		  gateway/clockview.c $(SYNCWIRE_SRCS) $(VILLAGE_SRCS)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# --- unit tests: tests/unit/test-NAME.c + the objects it links --------
UNIT_TESTS = $(sort $(patsubst tests/unit/test-%.c,%,$(wildcard tests/unit/test-*.c)))
test-pdu_SRCS	= $(PDU_SRCS)
test-gsm7_SRCS = modem/gsm7.c $(UTIL_SRCS)
test-at_SRCS	= $(AT_SRCS)
test-port_SRCS	= $(PORT_SRCS) util/hex.c
test-modem_SRCS	= $(MODEM_SRCS) $(AT_SRCS) $(PDU_SRCS) $(PORT_SRCS)
test-config_SRCS = $(CONFIG_SRCS)
test-store_SRCS	= $(STORAGE_SRCS) $(UTIL_SRCS)
test-ctl_store_SRCS = $(STORAGE_SRCS) jifenctl/ctl_store.c gateway/hhimport.c \
		      gateway/clockview.c gateway/clock.c \
		      $(UTIL_SRCS)
test-text_SRCS	= gateway/text.c $(UTIL_SRCS)
test-cmd_SRCS	= gateway/text.c gateway/cmd.c $(UTIL_SRCS)
test-loan_SRCS	= gateway/loan.c
test-clock_SRCS	= gateway/clock.c
test-handlers_SRCS = gateway/handlers.c gateway/outq.c $(GWPURE_SRCS) $(STORAGE_SRCS) $(PDU_SRCS) $(CONFIG_SRCS)
test-reply_SRCS	= gateway/reply.c gateway/loan.c gateway/text.c gateway/cmd.c $(UTIL_SRCS)
test-utf8_SRCS	= util/utf8.c
test-hex_SRCS	= util/hex.c
test-web_form_SRCS = jifen-web/form.c $(UTIL_SRCS)
test-webstore_SRCS = storage/web.c $(STORAGE_SRCS) $(UTIL_SRCS)
test-balance_SRCS = gateway/balance.c gateway/outq.c $(GWPURE_SRCS) $(STORAGE_SRCS) $(PDU_SRCS) $(CONFIG_SRCS)
test-ussd_SRCS	= jifen-web/ussd.c jifen-web/form.c $(VILLAGE_SRCS) $(CONSOLE_SRCS)
test-sync_wire_SRCS = $(SYNCWIRE_SRCS)
test-sync_bundle_SRCS = jifen-sync/bundle.c
test-sync_apply_SRCS = jifen-sync/apply.c $(SYNCWIRE_SRCS) $(VILLAGE_SRCS)
# jifend/gw.c with the real store and a stub modem module (in the test)
test-gw_SRCS	= jifend/gw.c jifend/loop.c gateway/handlers.c gateway/outq.c \
		  gateway/balance.c gateway/log.c modem/at.c $(GWPURE_SRCS) \
		  $(STORAGE_SRCS) $(PDU_SRCS) $(CONFIG_SRCS)

# --- fuzz targets: tests/fuzz/fuzz-NAME.c + the sources it links ------
FUZZ_TARGETS = $(sort $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c)))
fuzz-pdu_SRCS	= $(PDU_SRCS)
fuzz-pdu-roundtrip_SRCS = $(PDU_SRCS)
fuzz-at_SRCS	= $(AT_SRCS)
fuzz-config_SRCS = $(CONFIG_SRCS)
fuzz-cmd_SRCS	= gateway/text.c gateway/cmd.c $(UTIL_SRCS)
fuzz-utf8_SRCS	= util/utf8.c
fuzz-web-form_SRCS = jifen-web/form.c jifen-web/ussd.c $(VILLAGE_SRCS) $(CONSOLE_SRCS)
fuzz-sync-response_SRCS = $(SYNCWIRE_SRCS)
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

UNIT_BINS = $(patsubst %,$(BUILD)/tests/test-%,$(UNIT_TESTS))

# Every fuzz target is also built with the ordinary compiler and
# tests/fuzz/replay.c, and make check replays its committed corpus.
REPLAY_BINS = $(patsubst %,$(BUILD)/tests/replay-%,$(FUZZ_TARGETS))

# LD_PRELOAD shims the end-to-end tests use (built by unit, so every
# build directory that runs the tests has them)
TEST_SHIMS = $(BUILD)/tests/libclockshift.so

BINS = $(BUILD)/jifend $(BUILD)/jifenctl $(BUILD)/jifen-sync $(BUILD)/jifen-web \
       $(BUILD)/jifen-modemsim

.PHONY: all programs deps test-deps man cross-armhf check-armhf deb check-deb check unit run asan valgrind fuzz bench torture install uninstall clean
.SECONDEXPANSION:

all: programs man

programs: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/jifend: $(call obj,$(JIFEND_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,jifend,$(JIFEND_PKGS)) -lm

$(BUILD)/jifenctl: $(call obj,$(JIFENCTL_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,jifenctl,$(JIFENCTL_PKGS)) -lm

$(BUILD)/jifen-sync: $(call obj,$(JIFEN_SYNC_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,jifen-sync,$(JIFEN_SYNC_PKGS)) -lm

$(BUILD)/jifen-web: $(call obj,$(JIFEN_WEB_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,jifen-web,$(JIFEN_WEB_PKGS)) -lm

$(BUILD)/jifen-modemsim: $(call obj,$(SIM_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,jifen-modemsim,$(SIM_PKGS)) -lm

# Fault-injection build of the daemon (tests/e2e/test_faultloop.py): the
# same sources plus gateway/fault.c, compiled with -DJIFEN_FAULTS into
# their own object directory.  $(BUILD)/jifend never contains fault.c.
FAULT_SRCS	= jifend/fault.c
fault_obj = $(patsubst %.c,$(BUILD)/fault/obj/%.o,$(1))

$(BUILD)/fault/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DJIFEN_FAULTS $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fault/jifend: $(call fault_obj,$(JIFEND_SRCS) $(FAULT_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,jifend,$(JIFEND_PKGS)) -lm

$(BUILD)/tests/test-%: $(BUILD)/obj/tests/unit/test-%.o $$(call obj,$$(test-%_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,$(notdir $@),$(TEST_PKGS)) -lm

$(BUILD)/tests/replay-%: $(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/obj/tests/fuzz/fuzz-%.o $$(call obj,$$(fuzz-%_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(call libs,$(notdir $@),$(TEST_PKGS)) -lm

deps:
	@tools/install-deps.sh $(RUN_DEPS)

test-deps:
	@tools/install-deps.sh $(DEB_DEPS)

unit: $(UNIT_BINS) $(REPLAY_BINS) $(TEST_SHIMS)

$(BUILD)/tests/lib%.so: tests/e2e/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -O2 -shared -fPIC -o $@ $< -ldl

check: test-deps
	@$(MAKE) --no-print-directory WERROR=-Werror all unit $(BUILD)/fault/jifend
	@tests/run-tests.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory all
	@tools/run-demo.sh $(BUILD)

asan: test-deps
	@$(MAKE) --no-print-directory BUILD=build/asan CC=clang WERROR=-Werror \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" all unit build/asan/fault/jifend
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		JIFEN_SANITIZER=asan tests/run-tests.sh build/asan

valgrind: test-deps
	@$(MAKE) --no-print-directory all unit
	@JIFEN_VALGRIND=1 tests/run-tests.sh $(BUILD)

FUZZ_SECONDS ?= 20
FUZZ_BINS = $(patsubst %,build/fuzz/fuzz-%,$(FUZZ_TARGETS))
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $$(fuzz-%_SRCS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $^ $(call libs,$(notdir $@),$(TEST_PKGS)) -lm

fuzz: test-deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# gammu-smsd runs beside jifend for the ratios; the armhf build gives the
# board's resident memory (measured under qemu-user)
BENCH_DEPS = gammu-smsd
bench: test-deps
	@tools/install-deps.sh $(BENCH_DEPS)
	@$(MAKE) --no-print-directory all cross-armhf
	@bench/run-bench.sh $(BUILD)

# Real power cuts (EXT4_IOC_SHUTDOWN on a loop-mounted image): needs root
# and loop devices, so not part of make check; skips (TAP # SKIP) without.
torture: deps
	@$(MAKE) --no-print-directory all
	@JIFEN_BUILD=$(CURDIR)/$(BUILD) python3 tests/e2e/torture_powercut.py


# --- man pages: docs/man/NAME.SECTION.scd -> $(BUILD)/man/NAME.SECTION -----
MAN_PAGES = jifend.8 jifenctl.8 jifen-web.8 jifen-sync.8 jifen.conf.5
MAN_OUT	= $(patsubst %,$(BUILD)/man/%,$(MAN_PAGES))

man: $(MAN_OUT)

$(BUILD)/man/%: docs/man/%.scd Makefile
	@mkdir -p $(dir $@)
	@command -v scdoc >/dev/null || { echo "man pages need scdoc: install the Debian package scdoc (make deps does)" >&2; exit 1; }
	sed 's/@VERSION@/$(VERSION)/g' $< | scdoc >$@

# --- 32-bit ARM: the same targets with Debian's cross compiler ------------
# Every program of BINS, the unit tests and the fault build, each linking
# its own package list through pkg-config, pointed at the armhf .pc files.
ARMHF_CC = arm-linux-gnueabihf-gcc
ARMHF_BUILD = build-armhf
ARMHF_PC = /usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig
ARMHF_DEPS = gcc-arm-linux-gnueabihf qemu-user-static \
	     $(foreach p,$(ALL_PKGS) cmocka,$(deb_$(p)):armhf)

cross-armhf:
	@tools/install-deps.sh --arch armhf $(ARMHF_DEPS)
	@PKG_CONFIG_LIBDIR=$(ARMHF_PC) $(MAKE) --no-print-directory \
		BUILD=$(ARMHF_BUILD) CC=$(ARMHF_CC) DEB_ARCH=:armhf \
		programs unit $(ARMHF_BUILD)/fault/jifend
	@for b in $(BINS:$(BUILD)/%=$(ARMHF_BUILD)/%); do \
		arm-linux-gnueabihf-strip -o $$b.stripped $$b; \
		printf '%-40s %8d bytes stripped\n' $$b $$(wc -c <$$b.stripped); done

# The tests run the armhf binaries through tools/qemu-wrap.sh (explicit
# qemu-arm-static, no binfmt needed); timeouts as for the sanitizer runs.
check-armhf: cross-armhf test-deps
	@tools/qemu-wrap.sh $(ARMHF_BUILD) $(ARMHF_BUILD)/qemu
	@JIFEN_SANITIZER=qemu JIFEN_EMULATED=qemu-arm \
		tests/run-tests.sh $(ARMHF_BUILD)/qemu

# --- Debian package (debian/): build/deb/jifen_VERSION_ARCH.deb -----------
DEB_BUILD_DEPS = debhelper dpkg-dev fakeroot lintian
deb: deps
	@tools/install-deps.sh $(DEB_BUILD_DEPS)
	@tools/build-deb.sh $(VERSION) $(BUILD)/deb

# The built package installed into a throwaway root, jifend -n run there.
check-deb: deb
	@tools/install-deps.sh python3
	@tests/package/run.sh $(BUILD)/deb

UNITDIR	?= /lib/systemd/system
UDEVDIR	?= /lib/udev/rules.d
MANDIR	?= $(PREFIX)/share/man

# A man page is installed with its program: jifen-web.8 only once
# $(BUILD)/jifen-web is built.
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/jifend $(DESTDIR)$(PREFIX)/sbin/jifend
	install -m 0755 $(BUILD)/jifenctl $(DESTDIR)$(PREFIX)/bin/jifenctl
	install -m 0755 $(BUILD)/jifen-sync $(DESTDIR)$(PREFIX)/bin/jifen-sync
	install -m 0755 $(BUILD)/jifen-web $(DESTDIR)$(PREFIX)/sbin/jifen-web
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/jifen
	install -m 0640 packaging/jifen.conf $(DESTDIR)$(SYSCONFDIR)/jifen/jifen.conf.example
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVDIR)
	install -m 0644 $(wildcard packaging/*.service packaging/*.socket \
		packaging/*.timer) $(DESTDIR)$(UNITDIR)/
	install -m 0644 packaging/70-jifen-modem.rules $(DESTDIR)$(UDEVDIR)/70-jifen-modem.rules
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(BUILD)/man/jifen.conf.5 $(DESTDIR)$(MANDIR)/man5/
	for p in $(MAN_PAGES:%.8=%); do \
		case $$p in *.5) continue ;; esac; \
		[ -x $(BUILD)/$$p ] || continue; \
		install -m 0644 $(BUILD)/man/$$p.8 $(DESTDIR)$(MANDIR)/man8/; \
	done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/jifend $(DESTDIR)$(PREFIX)/bin/jifenctl
	rm -f $(DESTDIR)$(PREFIX)/bin/jifen-sync
	rm -f $(DESTDIR)$(PREFIX)/sbin/jifen-web
	rm -f $(DESTDIR)/lib/systemd/system/jifen-web.socket
	rm -f $(DESTDIR)/lib/systemd/system/jifen-web.service
	rm -f $(DESTDIR)$(SYSCONFDIR)/jifen/jifen.conf.example
	-rmdir $(DESTDIR)$(SYSCONFDIR)/jifen 2>/dev/null
	rm -f $(DESTDIR)$(PREFIX)/sbin/jifen-web $(DESTDIR)$(PREFIX)/sbin/jifen-sync
	rm -f $(patsubst packaging/%,$(DESTDIR)$(UNITDIR)/%,$(wildcard \
		packaging/*.service packaging/*.socket packaging/*.timer))
	rm -f $(DESTDIR)$(UDEVDIR)/70-jifen-modem.rules
	rm -f $(MAN_PAGES:%=$(DESTDIR)$(MANDIR)/man8/%) $(DESTDIR)$(MANDIR)/man5/jifen.conf.5

clean:
	rm -rf build $(ARMHF_BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(BUILD)/fault/obj -name '*.d' 2>/dev/null)
