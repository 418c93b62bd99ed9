# cc-daemon-static: the one file cc-deploy copies to peers that have none of
# our libraries.  libevent (core + extra), jansson and libyaml are linked
# from their .a archives; glibc statically too (getaddrinfo in a static
# binary only needs NSS for names that are not numeric or "localhost").
STATIC_BINS += $(BIN)/cc-daemon-static
STATIC_DAEMON_LIBS := -Wl,-Bstatic -levent -ljansson -lyaml -lpthread -lm

$(BIN)/cc-daemon-static: $(BUILD)/cmd/cc-daemon/main.o $(LIBA)
	@mkdir -p $(BIN)
	$(CC) -static -s $(filter-out -fsanitize=%,$(LDFLAGS)) -o $@ $(BUILD)/cmd/cc-daemon/main.o $(LIBA) $(STATIC_DAEMON_LIBS)
