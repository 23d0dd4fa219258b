# Draws ours vs real for every mode of a perf-compare run into outdir/perf.png.
# Called as: gnuplot -e "outdir='DIR'; modes='latency bw bibw msgrate'; plot_title='...'" perf-plot.gp
set terminal pngcairo size 1400,1000 font ",10"
set output outdir.'/perf.png'
n = words(modes)
set multiplot layout (n > 2 ? 2 : 1), (n > 1 ? 2 : 1) title plot_title
set logscale xy 2
set grid
set xlabel 'message size [bytes]'
set format x '%.0b%B'
set format y '%g'
label(m) = (strstrt(m, 'latency') > 0) ? 'one-way latency [us] (lower is better)' : \
           (m eq 'msgrate') ? 'message rate [M msg/s]' : 'bandwidth [MB/s]'
do for [i = 1:n] {
    m = word(modes, i)
    set title m
    set ylabel label(m)
    if (strstrt(m, 'latency') > 0) { set key top left } else { if (m eq 'msgrate') { set key bottom left } else { set key bottom right } }
    # size 0 cannot sit on a log axis: it is in the table, not in the plot
    plot outdir.'/'.m.'.dat' using ($1 > 0 ? $1 : 1/0):2 with linespoints lw 2 title 'ours', \
         ''                  using ($1 > 0 ? $1 : 1/0):3 with linespoints lw 2 title 'real'
}
unset multiplot
