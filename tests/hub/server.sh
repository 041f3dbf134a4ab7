# server.sh - sourced by run.sh and bench.sh (which set $py and $here).
#
# start_server TMP WWW: renders nginx.conf.in with two free ports on
# 127.0.0.1, starts nginx as the current user in the foreground of a
# background job (its pid in $ngx_pid; pid, logs and temp paths under
# TMP/ngx), waits until both ports answer, and exports the environment a user
# would have, pointed at it ($port, $cdn, HF_ENDPOINT, HF_HOME, HF_HUB_CACHE,
# XDG_CACHE_HOME under TMP; no token, no proxy).  The caller's EXIT trap
# kills $ngx_pid.
free_port() {
	"$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
	local tmp=$1 www=$2 user="" up=""
	command -v nginx >/dev/null || { echo "hub: nginx is not installed (apt-get install nginx-light)"; return 1; }
	port=$(free_port)
	cdn=$(free_port)
	while [ "$cdn" = "$port" ]; do cdn=$(free_port); done
	# as root, nginx's workers would run as nobody, who cannot read TMP
	[ "$(id -u)" = 0 ] && user="user root;"
	mkdir -p "$tmp/ngx"
	sed -e "s|@TMP@|$tmp/ngx|g" -e "s|@WWW@|$www|g" -e "s|@PORT@|$port|g" \
		-e "s|@CDN@|$cdn|g" -e "s|@USER@|$user|g" "$here/nginx.conf.in" >"$tmp/ngx/nginx.conf"
	nginx -p "$tmp/ngx" -c "$tmp/ngx/nginx.conf" -e "$tmp/ngx/error.log" &
	ngx_pid=$!
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
			(exec 3<>"/dev/tcp/127.0.0.1/$cdn") 2>/dev/null; then
			up=1
			break
		fi
		sleep 0.05
	done
	[ -n "$up" ] || { echo "hub: nginx did not start: $(cat "$tmp/ngx/error.log")"; return 1; }

	unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_TOKEN_PATH HF_HUB_OFFLINE TRANSFORMERS_OFFLINE
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
	export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
	export HF_ENDPOINT="http://127.0.0.1:$port"
	export HF_HOME="$tmp/hfhome" HF_HUB_CACHE="$tmp/hfcache" XDG_CACHE_HOME="$tmp/xdg"
	mkdir -p "$HF_HOME" "$HF_HUB_CACHE"
}
