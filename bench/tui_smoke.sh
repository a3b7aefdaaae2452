#!/usr/bin/env bash
# Smoke test of the real TUI in a real terminal (tmux): `tnet demo` at 160x48 for 15 s, then check
# the captured screen shows heatmap cells, tape rows, zone rows and three live venues.
#   bench/tui_smoke.sh            # uses `tnet` from PATH (or TNET=/path/to/tnet)
#   SECONDS_TO_WAIT=30 bench/tui_smoke.sh
set -u
export LANG=${LANG:-C.UTF-8} LC_ALL=${LC_ALL:-C.UTF-8}  # tmux must treat the block characters as UTF-8
TNET=${TNET:-tnet}
SESSION=tnet-smoke-$$
WAIT=${SECONDS_TO_WAIT:-15}
OUT=${OUT:-/tmp/tnet-smoke.txt}

command -v tmux >/dev/null || { echo "tmux not installed"; exit 2; }
tmux -u new-session -d -s "$SESSION" -x 160 -y 48 "TERM=xterm-256color COLORTERM=truecolor $TNET demo; sleep 30"
sleep "$WAIT"
tmux -u capture-pane -t "$SESSION" -p > "$OUT"
tmux send-keys -t "$SESSION" q
sleep 2
tmux kill-session -t "$SESSION" 2>/dev/null

fail=0
check() {  # check NAME MIN_COUNT REGEX
    local n
    n=$(grep -cE "$3" "$OUT")
    if [ "$n" -ge "$2" ]; then echo "ok    $1 ($n lines)"; else echo "FAIL  $1 ($n lines, want >= $2)"; fail=1; fi
}
check "heatmap cells (▀ rows)" 10 "▀"
check "tape rows" 3 "(LONG|SHORT) +[-+][0-9]"
check "zone rows" 1 "^.*[LS] [0-9,.]+–[0-9,.]+ .*(active|reinforced)"
live=$(grep -m1 -E "● binance" "$OUT" | grep -oE "● [a-z]+ live" | wc -l)
if [ "$live" -ge 3 ]; then echo "ok    three live venues"; else echo "FAIL  live venues: $live (want 3)"; fail=1; fi
echo "screen saved to $OUT"
exit $fail
