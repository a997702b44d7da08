# scripts/median.awk: median(list), the median of the numbers in a space-separated list (insertion sort: a
# handful of runs). Loaded before the table scripts: awk -f scripts/median.awk -f scripts/bench_table.awk ...
function median(list,   n, a, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
