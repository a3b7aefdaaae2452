#!/usr/bin/env bash
# Smoke test of the real TUI in a real terminal (tmux): `tnet demo` at 160x48 for 15 s, then check
# the captured screen shows heatmap cells, zone rows and three live venues, and some symbol's tape
# shows liquidation rows (the simulator's cascades hit one symbol at a time; a quiet start may need
# a longer SECONDS_TO_WAIT).
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
# liquidations come in cascades on one symbol at a time: look at every symbol's tape too
for key in 2 3 1; do
    tmux send-keys -t "$SESSION" "$key"
    sleep 1
    tmux -u capture-pane -t "$SESSION" -p > "$OUT.$key"
done
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
tape=$(cat "$OUT" "$OUT".[123] | grep -cE "(LONG|SHORT) +[-+][0-9]")
if [ "$tape" -ge 1 ]; then echo "ok    tape rows ($tape over the three symbols)"; else echo "FAIL  no tape rows on any symbol"; fail=1; fi
check "zone rows" 1 "^.*[LS] [0-9,.]+–[0-9,.]+ .*(active|reinforced)"
live=$(grep -m1 -E "● binance" "$OUT" | grep -oE "● [a-z]+ live" | wc -l)
if [ "$live" -ge 3 ]; then echo "ok    three live venues"; else echo "FAIL  live venues: $live (want 3)"; fail=1; fi
echo "screen saved to $OUT"
exit $fail
