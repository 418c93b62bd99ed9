# cc-web's static assets (web/*) compiled into the binary: a C table
# generated with xxd -i, linked into cc-web only.
WEB_ASSETS := $(sort $(wildcard web/*))

$(BUILD)/gen/webassets.c: $(WEB_ASSETS) cmd/cc-web/rules.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q){ echo '/* generated from web/ by cmd/cc-web/rules.mk */'; \
	  echo '#include <stddef.h>'; echo '#include "web_int.h"'; \
	  for f in $(WEB_ASSETS); do \
	    n=$$(basename $$f | tr -c 'a-zA-Z0-9\n' _); \
	    echo "static const unsigned char a_$$n[] = {"; \
	    xxd -i < $$f; echo '};'; \
	  done; \
	  echo 'const struct web_asset web_assets[] = {'; \
	  for f in $(WEB_ASSETS); do \
	    b=$$(basename $$f); n=$$(echo $$b | tr -c 'a-zA-Z0-9\n' _); \
	    case $$b in *.css) t='text/css; charset=utf-8';; *.js) t='text/javascript; charset=utf-8';; \
	      *.svg) t='image/svg+xml';; *) t='application/octet-stream';; esac; \
	    echo "  { \"$$b\", \"$$t\", a_$$n, sizeof(a_$$n) },"; \
	  done; \
	  echo '  { NULL, NULL, NULL, 0 },'; echo '};'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/webassets.o: $(BUILD)/gen/webassets.c $(BUILD)/.flags
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BIN)/cc-web: $(BUILD)/gen/webassets.o
