#!/usr/bin/env bats
# cc-config: loading upstream configs (v1 and v2), normalisation, and the
# one-line errors for bad input.

load lib/common.bash

setup() {
	cc_setup_home
	printf '  hunter2 \n' > "$HOME/pw"
}

v2_config() {
	cat > config.yaml <<'YAML'
# upstream-style v2 config
peers:
  gpu-1:
    ssh_host: 10.0.0.5
    ssh_user: ${CC_TEST_USER}
    ssh_key: ~/.ssh/id_gpu
    password: file:~/pw
    proxy_jump: bastion
    default_paths:
      - ~/app
      - /srv/data
  bastion:
    host: bastion.example.org
    user: jump
    port: 2222
    password: s3cret
  laptop:
    transport: local
    daemon_port: 9200
  lab:
    transport: http
    address: https://lab.example.org:9100
    token: ${CC_TEST_TOKEN}
    tls_fingerprint: sha256:abcd
  unset-var:
    ssh_host: ${CC_TEST_NOT_SET}
    host_key_check: strict
default_mode: plan
tool_batch_size: 7
bot:
  telegram:
    token: ${CC_TEST_TOKEN}
    allowed_users: [111, 222]
  lark:
    app_id: cli_x
    app_secret: very-secret
    allowed_chats: [oc_1]
YAML
}

@test "v2 config: peers normalised with defaults, env vars and ~ expanded" {
	v2_config
	export CC_TEST_USER=alice CC_TEST_TOKEN=tok123
	run cc-config -c config.yaml
	assert_success
	echo "$output" | jq -e . >/dev/null
	run jq -c '.peers["gpu-1"]' <<<"$output"
	assert_output "{\"transport\":\"ssh\",\"host\":\"10.0.0.5\",\"user\":\"alice\",\"port\":22,\"ssh_key\":\"$HOME/.ssh/id_gpu\",\"password\":\"file:~/pw\",\"proxy_jump\":\"bastion\",\"proxy_command\":null,\"daemon_port\":9100,\"server_alive_interval\":30,\"server_alive_count_max\":3,\"node_path\":null,\"project_path\":\"~/Projects\",\"default_paths\":[\"~/app\",\"/srv/data\"],\"address\":null,\"token\":null,\"tls_fingerprint\":null,\"host_key_check\":\"accept-new\",\"jump_only\":false}"
}

@test "v2 config: host/user/port spellings, local and http peers, unset var stays literal" {
	v2_config
	export CC_TEST_USER=alice CC_TEST_TOKEN=tok123
	run cc-config -c config.yaml
	assert_success
	json=$output
	run jq -r '.peers.bastion | "\(.host) \(.user) \(.port) \(.password) \(.jump_only)"' <<<"$json"
	assert_output "bastion.example.org jump 2222 *** true"
	run jq -r '.peers.laptop | "\(.transport) \(.daemon_port) \(.host)"' <<<"$json"
	assert_output "local 9200 null"
	run jq -r '.peers.lab | "\(.transport) \(.address) \(.token) \(.tls_fingerprint)"' <<<"$json"
	assert_output "http https://lab.example.org:9100 *** sha256:abcd"
	run jq -r '.peers["unset-var"] | "\(.host) \(.host_key_check)"' <<<"$json"
	assert_output '${CC_TEST_NOT_SET} strict'
	run jq -r '"\(.default_mode) \(.tool_batch_size) \(.bot.telegram.allowed_users|join(",")) \(.bot.telegram.token) \(.bot.lark.app_secret)"' <<<"$json"
	assert_output "plan 7 111,222 *** ***"
	run jq -r '.peers | keys_unsorted | join(" ")' <<<"$json"
	assert_output "gpu-1 bastion laptop lab unset-var"
}

@test "--secrets shows passwords, tokens and app secrets" {
	v2_config
	export CC_TEST_TOKEN=tok123
	run cc-config -c config.yaml --secrets
	assert_success
	run jq -r '"\(.peers.bastion.password) \(.peers.lab.token) \(.bot.telegram.token) \(.bot.lark.app_secret)"' <<<"$output"
	assert_output "s3cret tok123 tok123 very-secret"
}

@test "defaults of every section are filled in" {
	printf 'peers:\n  a:\n    ssh_host: h\n' > c.yaml
	run cc-config -c c.yaml
	assert_success
	run jq -c '[.default_mode, .tool_batch_size, .skills, .daemon, .file_pool.max_size, .file_pool.remote_dir, .file_pool.allowed_types, .file_forward.enabled, .file_forward.default_max_size, .bot.webui]' <<<"$output"
	assert_output "[\"auto\",15,{\"shared_dir\":\"./skills\",\"sync_on_start\":true},{\"install_dir\":\"~/.codecast/daemon\",\"auto_deploy\":true,\"log_file\":\"~/.codecast/daemon.log\",\"binary\":null},1073741824,\"~/.codecast/files\",[\"text/plain\",\"text/markdown\",\"application/pdf\",\"image/*\",\"video/*\",\"audio/*\"],false,5242880,{\"enabled\":false,\"port\":31949,\"host\":\"127.0.0.1\"}]"
	run cc-config -c c.yaml
	run jq -r '"\(.file_pool.pool_dir) \(.file_forward.download_dir)"' <<<"$output"
	assert_output "$HOME/.codecast/file-pool $HOME/.codecast/downloads"
}

@test "webui: bot.webui host and port; a top-level webui: with upstream's bind: spelling" {
	printf 'bot:\n  webui:\n    enabled: true\n    host: 0.0.0.0\n    port: 4000\n' > c.yaml
	run cc-config -c c.yaml
	assert_success
	run jq -c .bot.webui <<<"$output"
	assert_output '{"enabled":true,"port":4000,"host":"0.0.0.0"}'
	printf 'webui:\n  bind: 192.0.2.1\n' > c.yaml
	run cc-config -c c.yaml
	run jq -c .bot.webui <<<"$output"
	assert_output '{"enabled":false,"port":31949,"host":"192.0.2.1"}'
}

@test "v1 machines: format is migrated like upstream (localhost, 127.0.0.1, localhost: true)" {
	cat > v1.yaml <<'YAML'
machines:
  gpu-1:
    host: 10.0.0.9
    user: bob
    ssh_key: ~/.ssh/k
    port: 2200
    proxy_jump: jump
    default_paths: [~/p]
  jump:
    host: jump.example
  here:
    host: localhost
    daemon_port: 9300
  loop:
    host: 127.0.0.1
  flagged:
    host: box.example
    localhost: true
  named-only: {}
default_mode: code
YAML
	run cc-config -c v1.yaml
	assert_success
	json=$output
	run jq -r '.version' <<<"$json"
	assert_output 1
	run jq -r '.peers["gpu-1"] | "\(.transport) \(.host) \(.user) \(.port) \(.ssh_key) \(.proxy_jump)"' <<<"$json"
	assert_output "ssh 10.0.0.9 bob 2200 $HOME/.ssh/k jump"
	run jq -r '[.peers.here.transport, .peers.here.daemon_port, .peers.loop.transport, .peers.flagged.transport, .peers["named-only"].host, .default_mode] | map(tostring) | join(" ")' <<<"$json"
	assert_output "local 9300 local local named-only code"
}

@test "peers: wins over machines: when both are present" {
	printf 'peers:\n  new:\n    ssh_host: n\nmachines:\n  old:\n    host: o\n' > c.yaml
	run cc-config -c c.yaml
	assert_success
	run jq -r '.peers | keys | join(",")' <<<"$output"
	assert_output "new"
}

@test "file selection: -c, then CODECAST_CONFIG, then ~/.codecast/config.yaml, then ./config.yaml" {
	mkdir -p "$HOME/.codecast" sub
	printf 'peers:\n  home:\n    ssh_host: h\n' > "$HOME/.codecast/config.yaml"
	printf 'peers:\n  env:\n    ssh_host: h\n' > env.yaml
	printf 'peers:\n  cwd:\n    ssh_host: h\n' > sub/config.yaml
	printf 'peers:\n  flag:\n    ssh_host: h\n' > flag.yaml
	cd sub
	run bash -c 'cc-config | jq -r ".peers|keys[]"'
	assert_output home
	CODECAST_CONFIG=../env.yaml run bash -c 'cc-config | jq -r ".peers|keys[]"'
	assert_output env
	CODECAST_CONFIG=../env.yaml run bash -c 'cc-config -c ../flag.yaml | jq -r ".peers|keys[]"'
	assert_output flag
	rm "$HOME/.codecast/config.yaml"
	run bash -c 'cc-config --config ./config.yaml >/dev/null && cc-config | jq -r ".peers|keys[]"'
	assert_output cwd
	run cc-config --path
	assert_output config.yaml
}

@test "--check prints nothing on success; --peer prints one peer" {
	v2_config
	run cc-config -c config.yaml --check
	assert_success
	assert_output ""
	run cc-config -c config.yaml --peer laptop
	assert_success
	run jq -r '"\(.id) \(.transport)"' <<<"$output"
	assert_output "laptop local"
	run cc-config -c config.yaml --peer nope
	assert_one_line_error
	assert_output --partial "nope: no such peer"
}

@test "error: missing file" {
	run cc-config -c missing.yaml
	assert_one_line_error
	assert_output "cc-config: missing.yaml: No such file or directory"
}

@test "error: empty file (and a file holding only a comment)" {
	: > empty.yaml
	run cc-config -c empty.yaml
	assert_one_line_error
	assert_output "cc-config: empty.yaml: config file is empty"
	printf '# nothing\n' > c.yaml
	run cc-config -c c.yaml
	assert_one_line_error
	assert_output "cc-config: c.yaml: config file is empty"
}

@test "error: YAML syntax error names line and column" {
	printf 'peers:\n  a:\n    ssh_host: [unclosed\n' > c.yaml
	run cc-config -c c.yaml
	assert_one_line_error
	assert_output --regexp '^cc-config: c\.yaml:[0-9]+:[0-9]+: '
	printf 'peers:\n  a: b\n   c: d\n' > c2.yaml
	run cc-config -c c2.yaml
	assert_one_line_error
	assert_output --regexp '^cc-config: c2\.yaml:3:[0-9]+: '
}

@test "error: wrong type, with file:line:col and the path of the key" {
	printf 'peers:\n  a:\n    ssh_host: h\n    ssh_port: twenty-two\n' > config.yaml
	run cc-config -c config.yaml
	assert_one_line_error
	assert_output 'cc-config: config.yaml:4:15: peers.a.ssh_port: expected an integer, got "twenty-two"'
	printf 'peers:\n  a:\n    default_paths: /not/a/list\n' > c2.yaml
	run cc-config -c c2.yaml
	assert_one_line_error
	assert_output 'cc-config: c2.yaml:3:20: peers.a.default_paths: expected a list, got a scalar'
	printf 'skills:\n  sync_on_start: maybe\n' > c3.yaml
	run cc-config -c c3.yaml
	assert_one_line_error
	assert_output 'cc-config: c3.yaml:2:18: skills.sync_on_start: expected true or false, got "maybe"'
	printf 'bot:\n  telegram:\n    allowed_users: [12, alice]\n' > c4.yaml
	run cc-config -c c4.yaml
	assert_one_line_error
	assert_output 'cc-config: c4.yaml:3:25: bot.telegram.allowed_users[1]: expected an integer, got "alice"'
	printf -- '- a\n- b\n' > c5.yaml
	run cc-config -c c5.yaml
	assert_one_line_error
	assert_output 'cc-config: c5.yaml:1:1: expected a mapping at the top level, got a list'
	printf 'peers:\n  a:\n    ssh_port: 70000\n' > c6.yaml
	run cc-config -c c6.yaml
	assert_one_line_error
	assert_output 'cc-config: c6.yaml:3:15: peers.a.ssh_port: 70000 is out of range (1 to 65535)'
}

@test "error: unknown transport" {
	printf 'peers:\n  a:\n    transport: carrier-pigeon\n' > config.yaml
	run cc-config -c config.yaml
	assert_one_line_error
	assert_output 'cc-config: config.yaml:3:16: peers.a.transport: unknown transport "carrier-pigeon" (expected ssh, http or local)'
}

@test "error: proxy_jump naming a peer that does not exist" {
	printf 'peers:\n  a:\n    ssh_host: h\n    proxy_jump: ghost\n' > config.yaml
	run cc-config -c config.yaml
	assert_one_line_error
	assert_output 'cc-config: config.yaml:4:17: peers.a.proxy_jump: no peer named "ghost"'
}

@test "error: jump cycles (a -> b -> a, and a peer jumping through itself)" {
	printf 'peers:\n  a:\n    proxy_jump: b\n  b:\n    proxy_jump: a\n' > config.yaml
	run cc-config -c config.yaml
	assert_one_line_error
	assert_output 'cc-config: config.yaml:3:17: peers.a.proxy_jump: jump cycle a -> b -> a'
	printf 'peers:\n  a:\n    proxy_jump: a\n' > self.yaml
	run cc-config -c self.yaml
	assert_one_line_error
	assert_output 'cc-config: self.yaml:3:17: peers.a.proxy_jump: jump cycle a -> a'
	printf 'peers:\n  a:\n    proxy_jump: b\n  b:\n    proxy_jump: c\n  c:\n    proxy_jump: b\n' > c3.yaml
	run cc-config -c c3.yaml
	assert_one_line_error
	assert_output --partial 'jump cycle a -> b -> c -> b'
}

@test "error: proxy_command with an unknown token; with proxy_jump too" {
	printf 'peers:\n  a:\n    ssh_host: h\n    proxy_command: nc %%h %%x\n' > config.yaml
	run cc-config -c config.yaml
	assert_one_line_error
	assert_output 'cc-config: config.yaml:4:20: peers.a.proxy_command: unknown token %x (known: %h %p %r %n %%)'
	printf 'peers:\n  a:\n    ssh_host: h\n    proxy_command: nc %%h %%p %%\n' > trail.yaml
	run cc-config -c trail.yaml
	assert_one_line_error
	assert_output --partial 'peers.a.proxy_command: a lone % at the end'
	printf 'peers:\n  j:\n    ssh_host: j\n  a:\n    ssh_host: h\n    proxy_jump: j\n    proxy_command: ssh -W %%h:%%p j\n' > both.yaml
	run cc-config -c both.yaml
	assert_one_line_error
	assert_output 'cc-config: both.yaml:7:20: peers.a: proxy_jump and proxy_command exclude each other'
	printf 'peers:\n  a:\n    ssh_host: h\n    proxy_command: "ssh -W %%h:%%p %%%% b"\n' > ok.yaml
	run cc-config -c ok.yaml --peer a
	assert_success
	assert_equal "$(jq -r .proxy_command <<<"$output")" 'ssh -W %h:%p %% b'
}

@test "error: invalid host_key_check and a directory as the config" {
	printf 'peers:\n  a:\n    host_key_check: maybe\n' > c.yaml
	run cc-config -c c.yaml
	assert_one_line_error
	assert_output 'cc-config: c.yaml:3:21: peers.a.host_key_check: expected accept-new, strict or off, got "maybe"'
	mkdir d
	run cc-config -c d
	assert_one_line_error
	assert_output 'cc-config: d: Is a directory'
}

@test "usage errors exit 2; --help exits 0" {
	run cc-config --bogus
	assert_equal "$status" 2
	run cc-config extra-arg
	assert_equal "$status" 2
	run cc-config --help
	assert_success
	assert_output --partial "usage: cc-config"
}

@test "examples/config.yaml is valid" {
	run cc-config -c "$CODECAST_TOP/examples/config.yaml" --check
	assert_success
	assert_output ""
}
