#!/bin/bash
# CPU per call of one system under test at a fixed rate (docs/benchmarks.md, SIP): starts bench/sip/sut.ts MODE
# (switchboard or bare) from the checkout DIR, a SIPp UAS, warms up with 200 calls at 50/s, then reads the
# process's CPU (user + system) before and after CALLS calls at RATE/s (uac-b2bua.xml) and prints µs per call
# and SIPp's exit code (0: every call passed). PROF=dir writes a CPU profile there; EXTRA adds node flags.
# usage: bench/sip/cpu-per-call.sh DIR MODE CALLS RATE
DIR=$(cd "$1" && pwd); MODE=$2; CALLS=$3; RATE=$4
cd $DIR
UASPORT=$((20000 + RANDOM % 20000)); MP1=$((40000 + RANDOM % 10000)); MP2=$((50000 + RANDOM % 10000)); UACPORT=$((UASPORT+1))
FIFO=$(mktemp -u /tmp/sip-cpu-fifoXXXX); mkfifo $FIFO; OUT=$(mktemp /tmp/sip-cpu-outXXXX)
FLAGS="--expose-gc $EXTRA"; [ -n "$PROF" ] && FLAGS="$FLAGS --cpu-prof --cpu-prof-dir $PROF"
node $FLAGS -r esbuild-register bench/sip/sut.ts $MODE $UASPORT < $FIFO > $OUT &
SUT=$!
exec 3>$FIFO
while ! grep -q port $OUT; do sleep 0.1; done
PORT=$(head -1 $OUT | sed 's/[^0-9]//g')
W=$(mktemp -d /tmp/sip-cpu-wXXXX); cd $W
sipp -sf $DIR/bench/sip/uas.xml -i 127.0.0.2 -p $UASPORT -mp $MP1 -nostdin -buff_size 4194304 >/dev/null 2>&1 3>&- &
UAS=$!
sleep 0.5
run() { sipp -sf $DIR/bench/sip/uac-b2bua.xml -i 127.0.0.2 -p $UACPORT -mp $MP2 -m $1 -r $2 -rp 1000 -nostdin -buff_size 4194304 -timeout 60s -timeout_error -s sut 127.0.0.1:$PORT >/tmp/sip-cpu-uac.log 2>&1; echo $?; }
r=$(run 200 50)
echo stats >&3; sleep 1
c0=$(tail -1 $OUT | sed 's/.*"cpuUs":\([0-9]*\).*/\1/')
r2=$(run $CALLS $RATE)
sleep 1
echo stats >&3; sleep 1
c1=$(tail -1 $OUT | sed 's/.*"cpuUs":\([0-9]*\).*/\1/')
echo "$MODE warm=$r run=$r2 cpu_us_per_call=$(( (c1-c0)/CALLS )) $(tail -1 $OUT)"
exec 3>&-
wait $SUT; echo "sut rc=$?"
kill -KILL $UAS 2>/dev/null # SIPp lingers after SIGTERM
rm -rf $W $FIFO $OUT
