# codecast — GNU make build.  See README.md.
#
#   make            build every command into bin/
#   make check      build, then run every test; last line "N passed, N failed"
#   make check SANITIZE=1   the same under AddressSanitizer + UBSan
#   make static     statically linked binaries for peers (bin/cc-daemon-static)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       apt-get install what the build and the tests need
#   make bench      run every benchmark in bench/
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make demo       the main job end to end on a local peer (examples/demo.sh)

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
COMPLDIR  ?= $(PREFIX)/share/bash-completion/completions
UNITDIR   ?= $(PREFIX)/lib/systemd/user
DOCDIR    ?= $(PREFIX)/share/doc/codecast
VERSION   := 0.1.0

CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := libssh2 libcurl yaml-0.1 sqlite3 jansson libevent libevent_openssl \
	     libssl libcrypto md4c libedit libwebsockets libsodium libprotobuf-c

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
OPT       ?= -O2 -g
CPPFLAGS  += -D_GNU_SOURCE -DCC_VERSION='"$(VERSION)"' -Ilib
CFLAGS    += -std=c11 $(WARN) $(OPT) -fno-strict-aliasing
LDFLAGS   += -Wl,--as-needed

ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
LIBS       := $(PKG_LIBS) -lpthread -lm

# V=1 shows the full command lines.
Q         := $(if $(V),,@)
BUILD     ?= build
BIN       ?= bin
LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
# Protocol buffers (Lark's long-connection frames): proto/NAME.proto is
# compiled by protoc-c into $(BUILD)/gen/NAME.pb-c.[ch], part of the library.
PROTO_SRC := $(sort $(wildcard proto/*.proto))
PROTO_C   := $(PROTO_SRC:proto/%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_H   := $(PROTO_C:.c=.h)
LIB_OBJ   += $(PROTO_C:.c=.o)
CPPFLAGS  += -I$(BUILD)/gen
LIBA      := $(BUILD)/libcodecast.a

# A C command is a directory cmd/NAME holding main.c (and maybe more .c files);
# a script command is cmd/NAME/NAME.
C_CMDS    := $(sort $(patsubst cmd/%/main.c,%,$(wildcard cmd/*/main.c)))
SH_CMDS   := $(sort $(foreach d,$(wildcard cmd/*),$(if $(wildcard $(d)/main.c),,$(if $(wildcard $(d)/$(notdir $(d))),$(notdir $(d))))))
BINS      := $(C_CMDS:%=$(BIN)/%) $(SH_CMDS:%=$(BIN)/%)

UNIT_SRC  := $(sort $(wildcard test/unit/*.c))
UNIT_BINS := $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%)

MAN_PAGES := $(sort $(wildcard man/*.[1-8]))

.DEFAULT_GOAL := all

# Extra targets contributed by commands, fuzzers and benchmarks.
STATIC_BINS :=
FUZZ_TARGETS :=
TEST_PROGS :=
-include $(wildcard cmd/*/rules.mk) $(wildcard fuzz/rules.mk) $(wildcard test/rules.mk)

.SECONDARY:
.PHONY: all check test static install uninstall deps clean bench fuzz demo
all: $(BINS) $(TEST_PROGS)

# Rebuild everything when the flags change (e.g. SANITIZE=1 after a plain build).
FLAGS_LINE := $(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) | $(LDFLAGS) $(LIBS)
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(FLAGS_LINE)' ]; then printf '%s\n' '$(FLAGS_LINE)' > $@; fi
FORCE:

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/gen $(notdir $<)

# protoc-c's output is not ours to make -Wshadow clean.
$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(BUILD)/.flags
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -Wno-error -c -o $@ $<

# A lib source that includes a generated header needs it before it is
# compiled the first time (-MMD knows about it only afterwards).
$(LIB_OBJ): | $(PROTO_H)

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

define CMD_RULE
$(BIN)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIBA)
	@mkdir -p $(BIN)
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBA) $(LIBS)
endef
$(foreach c,$(C_CMDS),$(eval $(call CMD_RULE,$(c))))

# (a static pattern rule replaces only the first % of cmd/%/%)
define SH_RULE
$(BIN)/$(1): cmd/$(1)/$(1)
	@mkdir -p $(BIN)
	@$(if $(Q),echo "  SED     $$@")
	$(Q)sed 's/@VERSION@/$(VERSION)/g' $$< > $$@ && chmod 755 $$@
endef
$(foreach c,$(SH_CMDS),$(eval $(call SH_RULE,$(c))))

$(BUILD)/test/%: $(BUILD)/test/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

check test: all $(UNIT_BINS)
	@SANITIZE='$(SANITIZE)' CC_BIN='$(abspath $(BIN))' CC_BUILD='$(abspath $(BUILD))' ./test/run $(TESTS)

static: $(STATIC_BINS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(wildcard $(STATIC_BINS)) $(DESTDIR)$(BINDIR)/
	for m in $(MAN_PAGES); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -d $(DESTDIR)$(COMPLDIR)
	install -m 644 contrib/bash-completion/codecast $(DESTDIR)$(COMPLDIR)/cc-config
	for b in $(filter-out cc-config,$(notdir $(BINS))); do ln -sf cc-config $(DESTDIR)$(COMPLDIR)/$$b; done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/codecast.service > $(DESTDIR)$(UNITDIR)/codecast.service
	chmod 644 $(DESTDIR)$(UNITDIR)/codecast.service
	install -m 644 contrib/cron.example $(DESTDIR)$(DOCDIR)/cron.example

uninstall:
	for b in $(notdir $(BINS) $(STATIC_BINS)); do rm -f $(DESTDIR)$(BINDIR)/$$b; done
	for m in $(notdir $(MAN_PAGES)); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$m; done
	for b in $(notdir $(BINS)); do rm -f $(DESTDIR)$(COMPLDIR)/$$b; done
	rm -f $(DESTDIR)$(UNITDIR)/codecast.service $(DESTDIR)$(DOCDIR)/cron.example

# Debian packages the build, the tests and the benchmarks need.
DEB_PKGS := build-essential pkg-config libssh2-1-dev libcurl4-openssl-dev libyaml-dev \
	libsqlite3-dev libjansson-dev libevent-dev libssl-dev libmd4c-dev libedit-dev \
	libwebsockets-dev libsodium-dev libprotobuf-c-dev protobuf-c-compiler \
	bats bats-assert bats-support jq curl sqlite3 openssh-server openssh-client \
	clang libclang-rt-14-dev valgrind python3 python3-aiohttp git man-db groff-base \
	hyperfine netcat-openbsd iproute2 procps tmux shellcheck dash chromium xxd bc
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all present"; fi

# The main job end to end on this machine (README): a local peer, cc-daemon
# and the mock CLI, and cc-tty with a session started: type a question.
demo: all
	@CC_BIN='$(abspath $(BIN))' bash examples/demo.sh

bench: all
	@for b in bench/*.sh; do echo "== $$b"; CC_BIN=$(abspath $(BIN)) BIN=$(abspath $(BIN)) bash $$b || exit 1; done

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_TARGETS)
	@for f in $(FUZZ_TARGETS); do echo "== $$f ($(FUZZ_SECONDS)s)"; \
		mkdir -p fuzz/corpus/$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz/corpus/$$(basename $$f) || exit 1; done

clean:
	rm -rf $(BUILD) $(BIN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
