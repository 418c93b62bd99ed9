/* Unit tests for the pure parts of lib/tunnel.c and lib/ssh.c. */
#include <stdlib.h>

#include "ssh.h"
#include "tap.h"
#include "tunnel.h"

int
main(void)
{
	char *s;

	ok(tunnel_peer_name_ok("gpu-1"), "plain id is a file name");
	ok(tunnel_peer_name_ok("gpu_1.lab"), "dots inside are fine");
	ok(!tunnel_peer_name_ok(""), "empty id refused");
	ok(!tunnel_peer_name_ok(".hidden"), "leading dot refused");
	ok(!tunnel_peer_name_ok("a/b"), "slash refused");
	ok(!tunnel_peer_name_ok("a\nb"), "control character refused");
	ok(!tunnel_peer_name_ok(NULL), "NULL refused");

	s = ssh_known_host_name("example.org", 22);
	is_str(s, "example.org", "port 22: bare host name");
	free(s);
	s = ssh_known_host_name("127.0.0.1", 2222);
	is_str(s, "[127.0.0.1]:2222", "other ports: [host]:port");
	free(s);

	is_int(tunnel_exit_code(SSH_FAIL_NONE), 0, "success exits 0");
	is_int(tunnel_exit_code(SSH_FAIL_RESOLVE), 3, "resolve exits 3");
	is_int(tunnel_exit_code(SSH_FAIL_CONNECT), 3, "connect exits 3");
	is_int(tunnel_exit_code(SSH_FAIL_HOSTKEY), 4, "host key exits 4");
	is_int(tunnel_exit_code(SSH_FAIL_AUTH), 5, "auth exits 5");
	is_int(tunnel_exit_code(SSH_FAIL_PROTO), 6, "protocol exits 6");
	return tap_done();
}
