#!/bin/sh
# make run: start the modem simulator on a pty and jifend on a demo
# village database, in the foreground.  Everything lives in BUILD/demo/.
set -e
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/$build/demo"
mkdir -p "$demo"
chmod 700 "$demo"
conf="$demo/jifen.conf"
cat >"$conf" <<CONF
# Demo configuration written by tools/run-demo.sh (make run).
village = { id = "510681-sanshui-youyi"; name = "友谊村"; publicity_days = 7; };
modem   = { device = "$demo/modem"; health_interval = 300; };
storage = { path = "$demo/jifen.db"; };
sms     = { quiet_hours = ""; };
log     = { level = "info"; personal_data = true; };
ussd    = { enabled = true; token = "demo-token"; };
web     = { listen = "127.0.0.1:${JIFEN_WEB_PORT:-8380}"; };
CONF
chmod 600 "$conf"
ctl="$top/$build/jifenctl -c $conf"

# Demo village: fresh each time.
rm -f "$demo/jifen.db" "$demo/jifen.db-wal" "$demo/jifen.db-shm"
$ctl import "$top/tools/demo-village.csv" >/dev/null
$ctl record add H01 583 "历年积分(纸质台账)" --final >/dev/null
$ctl record add H02 320 "历年积分(纸质台账)" --final >/dev/null
$ctl record add H04 450 "历年积分(纸质台账)" --final >/dev/null
$ctl record add H01 5 "清扫房前屋后" >/dev/null
$ctl record add H02 10 "帮助邻居秋收" >/dev/null
$ctl record add H04 -5 "焚烧秸秆" >/dev/null
# the console's clerk password (jifenctl web passwd reads it twice)
webpw=${JIFEN_WEB_PASSWORD:-demo-clerk-1}
printf '%s\n%s\n' "$webpw" "$webpw" | $ctl web passwd >/dev/null

"$top/$build/jifen-modemsim" --link "$demo/modem" --profile huawei \
	>"$demo/modemsim.out" 2>"$demo/modemsim.log" &
sim=$!
web=""
trap 'kill $sim $web 2>/dev/null; wait $sim $web 2>/dev/null' EXIT INT TERM
i=0
until grep -q '^ready' "$demo/modemsim.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $sim 2>/dev/null; then
		echo "modem simulator did not start:" >&2
		cat "$demo/modemsim.log" >&2
		exit 1
	fi
	sleep 0.1
done

# jifen-web next to the daemon: the console and the USSD callback, on
# web.listen (port 8380), or on a free port when that one is taken
start_web() {
	"$top/$build/jifen-web" -c "$conf" "$@" >"$demo/jifen-web.out" \
		2>"$demo/jifen-web.log" &
	web=$!
	i=0
	until grep -q '^listening on' "$demo/jifen-web.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $web 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
}
if ! start_web && ! start_web -l 127.0.0.1:0; then
	echo "jifen-web did not start:" >&2
	cat "$demo/jifen-web.log" >&2
	exit 1
fi
webaddr=$(sed -n 's/^listening on //p' "$demo/jifen-web.out")

cat <<MSG

  Jifen demo: jifend on the built-in modem simulator ($demo/modem)
  and a demo village (友谊村, 4 households). From another terminal:

    $build/jifenctl sim send 13800000001 积分        # a villager: points
    $build/jifenctl sim send 13800000001 "利率 30"   # loan rate, 300,000 yuan
    $build/jifenctl sim send 13800000001 明细
    $build/jifenctl sim send 13900000009 待审        # a committee member
    $build/jifenctl sim send 13900000009 "确认 4"    # approve record 4
    $build/jifenctl household show H01
    $build/jifenctl status

  Console (jifen-web): http://$webaddr/
    clerk (文书) password: $webpw
    committee login: phone 13900000009; the code is texted to it, read
    what the gateway sent with the simulator (docs/SIMULATOR.md):
    python3 -c 'import socket,json;s=socket.socket(socket.AF_UNIX);s.connect("$demo/modem.ctl");s.sendall(b"{\"cmd\":\"sent\",\"to\":\"+8613900000009\"}\n");print(json.loads(s.makefile().readline())["sent"][-1]["text"])'
  USSD callback: curl -d 'sessionId=1&serviceCode=*384%23&phoneNumber=13800000001&text=1' \\
    "http://$webaddr/ussd?token=demo-token"

  Stop with Ctrl-C.

MSG
"$top/$build/jifend" -c "$conf"
