# SPDX-License-Identifier: MIT
# lib.sh -- what the check-*.sh scripts of test/service share; they source
# it.  wait_serving PID PIDFILE: waits, at most 20 s, until the aiod PID
# started in the background has written PIDFILE, which it does once every
# device is ready; false if it has not, or has exited.
wait_serving() {
	i=0
	while [ ! -s "$2" ] && [ $i -lt 200 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	[ -s "$2" ]
}
