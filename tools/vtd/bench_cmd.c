/* SPDX-License-Identifier: MIT */
/* vtd bench: measure the hot paths, with same-machine reference costs. */
#include "vtd-tool.h"
#include "../../bench/bench.h"

#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct result {
	const struct bench_scenario *sc;
	double median, min, max;
	double scale;          /* the size of one run (bench_run_once) */
	double ratio;          /* median of the paired ratios to the reference, or 0 */
	bool ok;
};

/* The number after "key": in the object of a child's JSON that starts
 * at obj, or -1. */
static double json_number(const char *obj, const char *key)
{
	char k[40];
	snprintf(k, sizeof(k), "\"%s\":", key);
	/* (a scenario's object ends at its first closing brace) */
	const char *end = strchr(obj, '}'), *at = strstr(obj, k);
	return end && at && at < end ? strtod(at + strlen(k), NULL) : -1;
}

/*
 * --processes P: the same measurement in P fresh processes, one after the
 * other, each exec'd anew (so each gets its own address-space layout, as
 * separate runs of a VMM do), and per scenario the median over processes
 * of each process's median, with the spread between processes.  A figure
 * that depends on where the caches or counters landed shows up here and
 * not in --runs, which repeats within one process.
 */
static int run_processes(unsigned procs, unsigned threads, unsigned runs, double seconds,
			 const bool *want, size_t nsc, bool json)
{
	/* v: each process's median; q: its paired ratio to the reference */
	double *v = calloc((size_t)procs * nsc, sizeof(*v));
	double *q = calloc((size_t)procs * nsc, sizeof(*q));
	bool *ok = calloc(nsc, sizeof(*ok));
	if (!v || !q || !ok) {
		free(v);
		free(q);
		free(ok);
		return usage_error("bench", "out of memory");
	}
	for (size_t i = 0; i < nsc; i++)
		ok[i] = want[i];
	char th[16], ru[16], se[32];
	snprintf(th, sizeof(th), "%u", threads);
	snprintf(ru, sizeof(ru), "%u", runs);
	snprintf(se, sizeof(se), "%g", seconds);
	for (unsigned p = 0; p < procs; p++) {
		/* argv: vtd bench --json --threads T --runs R --seconds S SCENARIO... */
		char **av = calloc(nsc + 10, sizeof(*av));
		if (!av)
			break;
		size_t n = 0;
		av[n++] = "vtd";
		av[n++] = "bench";
		av[n++] = "--json";
		av[n++] = "--threads";
		av[n++] = th;
		av[n++] = "--runs";
		av[n++] = ru;
		av[n++] = "--seconds";
		av[n++] = se;
		for (size_t i = 0; i < nsc; i++)
			if (want[i])
				av[n++] = (char *)bench_scenarios[i].name;
		int fd[2];
		pid_t pid;
		posix_spawn_file_actions_t fa;
		if (pipe(fd)) {
			free(av);
			break;
		}
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
		posix_spawn_file_actions_addclose(&fa, fd[0]);
		int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, av, environ);
		posix_spawn_file_actions_destroy(&fa);
		close(fd[1]);
		free(av);
		/* the child's JSON: one line, at most a few KiB */
		char buf[16384];
		size_t len = 0;
		ssize_t r;
		while (!rc && len < sizeof(buf) - 1 &&
		       ((r = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0 || (r < 0 && errno == EINTR)))
			len += r > 0 ? (size_t)r : 0;
		close(fd[0]);
		buf[len] = '\0';
		int st = 0;
		if (!rc)
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		for (size_t i = 0; i < nsc; i++) {
			if (!want[i])
				continue;
			char key[64];
			snprintf(key, sizeof(key), "\"name\":\"%s\",\"ok\":true", bench_scenarios[i].name);
			const char *at = rc ? NULL : strstr(buf, key);
			double med = at ? json_number(at, bench_scenarios[i].unit ? "median" : "median_ns")
					: -1;
			if (med < 0) {
				ok[i] = false;
				continue;
			}
			v[i * procs + p] = med;
			/* its paired ratio, when it has a reference */
			double ra = json_number(at, "ratio");
			q[i * procs + p] = ra > 0 ? ra : 0;
		}
		if (rc || !WIFEXITED(st) || WEXITSTATUS(st) > EXIT_NEGATIVE) {
			fprintf(stderr, "vtd bench: process %u of %u failed\n", p + 1, procs);
			for (size_t i = 0; i < nsc; i++)
				ok[i] = false;
			break;
		}
	}
	int rc = EXIT_OK;
	if (json)
		printf("{\"threads\":%u,\"runs\":%u,\"processes\":%u,\"scenarios\":[", threads, runs,
		       procs);
	bool first = true;
	for (size_t i = 0; i < nsc; i++) {
		if (!want[i])
			continue;
		const struct bench_scenario *sc = &bench_scenarios[i];
		double *x = &v[i * procs];
		if (ok[i])
			qsort(x, procs, sizeof(*x), cmp_double);
		else
			rc = EXIT_NEGATIVE;
		double med = x[procs / 2], lo = x[0], hi = x[procs - 1];
		/* the paired ratios, when every process gave one */
		double *y = &q[i * procs];
		bool rat = ok[i] && sc->reference;
		for (unsigned p = 0; rat && p < procs; p++)
			rat = y[p] > 0;
		if (rat)
			qsort(y, procs, sizeof(*y), cmp_double);
		double rmed = rat ? y[procs / 2] : 0, rlo = rat ? y[0] : 0, rhi = rat ? y[procs - 1] : 0;
		if (json) {
			const char *u = sc->unit ? "" : "_ns";
			printf("%s{\"name\":\"%s\",\"ok\":%s", first ? "" : ",", sc->name,
			       ok[i] ? "true" : "false");
			if (ok[i])
				printf(",\"median%s\":%.2f,\"min%s\":%.2f,\"max%s\":%.2f,"
				       "\"median_over_min\":%.3f", u, med, u, lo, u, hi, lo > 0 ? med / lo : 0);
			if (rat)
				printf(",\"reference\":\"%s\",\"ratio\":%.3f,\"ratio_min\":%.3f,"
				       "\"ratio_max\":%.3f,\"ratio_median_over_min\":%.3f", sc->reference,
				       rmed, rlo, rhi, rmed / rlo);
			printf("}");
			first = false;
		} else if (!ok[i]) {
			printf("%-14s failed\n", sc->name);
		} else {
			printf("%-14s %10.2f %-5s  [%.2f .. %.2f] over %u processes, median %.2fx the best",
			       sc->name, med, sc->unit ? sc->unit : "ns/op", lo, hi, procs,
			       lo > 0 ? med / lo : 0);
			if (rat)
				printf("; %.2fx %s [%.2f .. %.2f], median %.2fx the best", rmed,
				       sc->reference, rlo, rhi, rmed / rlo);
			printf("  %s\n", sc->desc);
		}
	}
	if (json)
		printf("]}\n");
	free(v);
	free(q);
	free(ok);
	return rc;
}

/* A count option: decimal, 1 to max; 0 or -1. */
static int count_arg(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno || s[0] == '-' || !*s || v < 1 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int run_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ "processes", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	unsigned threads = 2, runs = 5, procs = 1;
	double seconds = 0.5;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":jt:s:r:lp:", opts, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'j': json = true; break;
		case 't':
			if (count_arg(optarg, 64, &threads))
				return usage_error("bench", "--threads: '%s' is not 1 to 64", optarg);
			break;
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || !(seconds >= 0.01 && seconds <= 600))
				return usage_error("bench", "--seconds: '%s' is not 0.01 to 600", optarg);
			break;
		case 'r':
			if (count_arg(optarg, 101, &runs))
				return usage_error("bench", "--runs: '%s' is not 1 to 101", optarg);
			break;
		case 'p':
			if (count_arg(optarg, 101, &procs))
				return usage_error("bench", "--processes: '%s' is not 1 to 101", optarg);
			break;
		case 'l':
			for (const struct bench_scenario *s = bench_scenarios; s->name; s++)
				printf("%-14s %s\n", s->name, s->desc);
			return EXIT_OK;
		default: return bad_option("bench", opt, optopt, argv, optind);
		}
	}
	size_t nsc = 0;
	while (bench_scenarios[nsc].name)
		nsc++;
	struct result *res = calloc(nsc, sizeof(*res));
	bool *want = calloc(nsc, sizeof(*want));
	if (!res || !want) {
		free(res);
		free(want);
		return usage_error("bench", "out of memory");
	}
	if (optind == argc) {
		for (size_t i = 0; i < nsc; i++)
			want[i] = true;
	}
	for (int a = optind; a < argc; a++) {
		size_t i;
		for (i = 0; i < nsc && strcmp(bench_scenarios[i].name, argv[a]); i++)
			;
		if (i == nsc) {
			free(res);
			free(want);
			return usage_error("bench", "no scenario '%s' ('vtd bench --list')", argv[a]);
		}
		want[i] = true;
		/* a scenario is always measured with its reference */
		for (size_t j = 0; bench_scenarios[i].reference && j < nsc; j++)
			if (!strcmp(bench_scenarios[j].name, bench_scenarios[i].reference))
				want[j] = true;
	}
	if (procs > 1) {
		int prc = run_processes(procs, threads, runs, seconds / procs, want, nsc, json);
		free(res);
		free(want);
		return prc;
	}
	for (size_t i = 0; i < nsc; i++) {
		if (!want[i])
			continue;
		const struct bench_scenario *sc = &bench_scenarios[i];
		/* size each run so that all runs take about --seconds */
		double t0 = wall();
		double probe = bench_run_once(sc->name, threads, 0.05);
		double dt = wall() - t0;
		double scale = dt > 0 ? 0.05 * (seconds / runs) / dt : 1;
		if (scale < 0.02)
			scale = 0.02;
		if (scale > 200)
			scale = 200;
		/* The reference (measured before: it precedes in the table)
		 * runs again right before each run of the scenario, and the
		 * ratio is the median of the pairs': a host that slows the
		 * whole machine for a while (another tenant on the SMT sibling)
		 * slows both of a pair, which the ratio of two medians taken
		 * seconds apart would not cancel. */
		const struct result *ref = NULL;
		for (size_t j = 0; sc->reference && j < nsc; j++)
			if (res[j].sc && !strcmp(res[j].sc->name, sc->reference) && res[j].ok)
				ref = &res[j];
		double *v = calloc(runs, sizeof(*v)), *pr = calloc(runs, sizeof(*pr));
		bool ok = probe >= 0 && v && pr, paired = ref != NULL;
		for (unsigned r = 0; ok && r < runs; r++) {
			double rv = paired ? bench_run_once(ref->sc->name, threads, ref->scale) : 0;
			v[r] = bench_run_once(sc->name, threads, scale);
			ok = v[r] >= 0;
			if (rv > 0)
				pr[r] = v[r] / rv;
			else
				paired = false;
		}
		res[i].sc = sc;
		res[i].ok = ok;
		res[i].scale = scale;
		if (ok) {
			qsort(v, runs, sizeof(*v), cmp_double);
			res[i].median = v[runs / 2];
			res[i].min = v[0];
			res[i].max = v[runs - 1];
			if (paired) {
				qsort(pr, runs, sizeof(*pr), cmp_double);
				res[i].ratio = pr[runs / 2];
			}
		}
		free(v);
		free(pr);
		if (!json) {
			if (!ok) {
				printf("%-14s failed\n", sc->name);
				continue;
			}
			if (sc->unit)
				printf("%-14s %10.2f %-5s  [%.2f .. %.2f]", sc->name, res[i].median, sc->unit,
				       res[i].min, res[i].max);
			else
				printf("%-14s %10.1f ns/op  [%.1f .. %.1f]", sc->name, res[i].median,
				       res[i].min, res[i].max);
			if (res[i].ratio > 0)
				printf("  %5.2fx %s", res[i].ratio, sc->reference);
			printf("  %s\n", sc->desc);
			fflush(stdout);
		}
	}
	int rc = EXIT_OK;
	if (json) {
		printf("{\"threads\":%u,\"runs\":%u,\"scenarios\":[", threads, runs);
		bool first = true;
		for (size_t i = 0; i < nsc; i++) {
			if (!res[i].sc)
				continue;
			printf("%s{\"name\":\"%s\",\"ok\":%s", first ? "" : ",", res[i].sc->name,
			       res[i].ok ? "true" : "false");
			/* a ratio has no unit suffix in its keys */
			const char *u = res[i].sc->unit ? "" : "_ns";
			if (res[i].sc->unit)
				printf(",\"unit\":\"%s\"", res[i].sc->unit);
			if (res[i].ok)
				printf(",\"median%s\":%.2f,\"min%s\":%.2f,\"max%s\":%.2f", u, res[i].median,
				       u, res[i].min, u, res[i].max);
			if (res[i].sc->reference)
				printf(",\"reference\":\"%s\"", res[i].sc->reference);
			if (res[i].ratio > 0)
				printf(",\"ratio\":%.3f", res[i].ratio);
			printf("}");
			first = false;
		}
		printf("]}\n");
	}
	for (size_t i = 0; i < nsc; i++)
		if (res[i].sc && !res[i].ok)
			rc = EXIT_NEGATIVE;
	free(res);
	free(want);
	return rc;
}

const struct subcommand cmd_bench = {
	.name = "bench",
	.summary = "measure translation, cache and invalidation costs",
	.usage = "Usage: vtd bench [--json] [--threads N] [--seconds S] [--runs R]\n"
		 "                 [--processes P] [--list] [SCENARIO...]\n\n"
		 "Run each scenario R times (default 5) for about S seconds in all (default\n"
		 "0.5) and print the median ns/operation, the spread, and the ratio to a\n"
		 "reference cost (a plain hash lookup, a chain of dependent loads), which\n"
		 "runs again right before each run: the median of those paired ratios\n"
		 "compares across machines, and holds while the host slows both.\n"
		 "Scaling scenarios print a throughput ratio (x) instead of a time.\n"
		 "With --processes P the whole measurement runs in P fresh processes and\n"
		 "the figure is the median over them, with their spread (a cost that\n"
		 "depends on where memory landed in a process shows only this way).\n",
	.run = run_bench,
};
