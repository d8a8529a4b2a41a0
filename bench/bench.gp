# SPDX-License-Identifier: MIT
# bench.gp -- draws aiobench's bench.dat (a row per pattern, a column per
# contender, each the median per-round ratio to native libaio) as grouped
# bars.  gnuplot -e "datafile='bench.dat'; outfile='bench.png';
# subtitle='...'" bench.gp (subtitle: the run, as bench.txt's first line).
set terminal pngcairo size 1200,600 noenhanced font ",10"
set output outfile
set title "aiobench: IOPS relative to native libaio (median of per-round ratios)\n".subtitle
set ylabel "x native libaio (blocking io_getevents)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set offsets graph 0, graph 0, graph 0.08, 0
set xtics rotate by -25 scale 0
set key outside right top
plot for [i=2:*] datafile using i:xtic(1) title columnheader(i)
