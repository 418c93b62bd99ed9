# cc-daemon-static: the one file cc-deploy copies to peers that have none of
# our libraries.  libevent (core + extra), jansson and libyaml are linked
# from their .a archives; glibc statically too.  ld's warnings about NSS
# functions (getaddrinfo, getpwuid) are silenced (-w): cc-daemon binds
# numeric addresses only ("localhost" becomes 127.0.0.1), and getpwuid is
# used only when $HOME is unset.
STATIC_BINS += $(BIN)/cc-daemon-static
STATIC_DAEMON_LIBS := -Wl,-w -Wl,-Bstatic -levent_openssl -levent -lssl -lcrypto \
	-ljansson -lyaml -lpthread -lm

$(BIN)/cc-daemon-static: $(BUILD)/cmd/cc-daemon/main.o $(LIBA)
	@mkdir -p $(BIN)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -static -s $(filter-out -fsanitize=%,$(LDFLAGS)) -o $@ $(BUILD)/cmd/cc-daemon/main.o $(LIBA) $(STATIC_DAEMON_LIBS)

# Built with the tests so test/cc-daemon.bats can run it (not under
# SANITIZE=1: sanitized objects cannot be linked statically).
ifneq ($(SANITIZE),1)
TEST_PROGS += $(BIN)/cc-daemon-static
endif
