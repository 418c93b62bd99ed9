# Fuzz targets: built with clang and libFuzzer (+ ASan, UBSan); `make fuzz`
# runs each for FUZZ_SECONDS on its corpus in fuzz/corpus/NAME/.  The lib
# sources a target needs are compiled into it, instrumented.
#
# rules.mk files are read before the Makefile's `all:`, so the first target
# defined in one would become what a bare `make` builds; keep it `all`.
.DEFAULT_GOAL := all
FUZZ_CC   ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -D_GNU_SOURCE -DCC_VERSION='"$(VERSION)"' -Ilib
FUZZ_TARGETS += $(BUILD)/fuzz/sse_fuzz

SSE_FUZZ_SRCS := lib/sse.c lib/rpc.c lib/jsonscan.c lib/outq.c lib/util.c

$(BUILD)/fuzz/sse_fuzz: fuzz/sse_fuzz.c $(SSE_FUZZ_SRCS) $(SSE_FUZZ_SRCS:.c=.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ fuzz/sse_fuzz.c $(SSE_FUZZ_SRCS) \
		$(PKG_LIBS)

# Markdown -> Telegram HTML -> split.
FUZZ_TARGETS += $(BUILD)/fuzz/md_telegram_fuzz
MDTG_FUZZ_SRCS := lib/mdwalk.c lib/md_telegram.c lib/tgsplit.c lib/util.c

$(BUILD)/fuzz/md_telegram_fuzz: fuzz/md_telegram_fuzz.c $(MDTG_FUZZ_SRCS) $(MDTG_FUZZ_SRCS:.c=.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ fuzz/md_telegram_fuzz.c $(MDTG_FUZZ_SRCS) \
		$(PKG_LIBS)

# Discord gateway payloads -> events, commands, components.
FUZZ_TARGETS += $(BUILD)/fuzz/discord_gw_fuzz
DCGW_FUZZ_SRCS := lib/discord_gw.c lib/util.c

$(BUILD)/fuzz/discord_gw_fuzz: fuzz/discord_gw_fuzz.c $(DCGW_FUZZ_SRCS) $(DCGW_FUZZ_SRCS:.c=.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ fuzz/discord_gw_fuzz.c $(DCGW_FUZZ_SRCS) \
		$(PKG_LIBS)

# Lark: long-connection frames, fragments, events, discovery, callback
# decryption; Markdown to cards and posts, split by size.
FUZZ_TARGETS += $(BUILD)/fuzz/lark_fuzz
LARK_FUZZ_SRCS := lib/lark_frame.c lib/lark_event.c lib/lark_md.c lib/lark_cb.c \
	lib/mdwalk.c lib/msgsplit.c lib/attach.c lib/util.c lib/utf8.c

$(BUILD)/fuzz/lark_fuzz: fuzz/lark_fuzz.c $(LARK_FUZZ_SRCS) $(LARK_FUZZ_SRCS:.c=.h) $(PROTO_C)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(BUILD)/gen $(PKG_CFLAGS) -o $@ fuzz/lark_fuzz.c \
		$(LARK_FUZZ_SRCS) $(PROTO_C) $(PKG_LIBS)
