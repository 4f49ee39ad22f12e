/* SPDX-License-Identifier: MIT */
#ifndef VTD_BENCH_H
#define VTD_BENCH_H

struct bench_scenario {
	const char *name;
	const char *desc;
	const char *reference;   /* scenario it is compared with, or NULL */
	const char *unit;        /* NULL: ns per operation; "x": a ratio */
};
extern const struct bench_scenario bench_scenarios[];
/* ns per operation (or the ratio, for unit "x") of one run (scale 1.0 =
 * default size), < 0 on failure */
double bench_run_once(const char *name, unsigned threads, double scale);

#endif
