# cc-rpc: lib/rpc.c pins TLS certificates with OpenSSL (through libcurl's
# CURLOPT_SSL_CTX_FUNCTION), so whatever links it needs libssl/libcrypto.
# --as-needed keeps them off commands that do not use rpc.
LIBS += $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto)
