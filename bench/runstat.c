/*
 * runstat: times a command for `make bench`. Runs it a few times (after
 * warm-up runs that are not counted) and reports the median, minimum and
 * maximum wall-clock time, the median CPU time (user + system, every
 * thread) and the median peak resident set size of the child, read from
 * wait4's rusage. The command's standard input is
 * /dev/null; its output is discarded unless -O/-E name files for it.
 *
 * Usage: runstat [-n RUNS] [-w WARMUP] [-T BUDGET_MS] [-O OUT] [-E ERR] -- CMD [ARG...]
 * With -T, no new run starts once the runs so far took BUDGET_MS in all
 * (at least one run is timed), and a warm-up run that alone takes longer
 * than BUDGET_MS is counted as the one timed run, so that a slow command
 * costs about the budget rather than RUNS times itself.
 * Prints one line of shell assignments on standard output:
 *   runs=5 rc=0 wall_ms=123.4 wall_min_ms=120.1 wall_max_ms=130.0 cpu_ms=180.2 rss_kb=4096
 * rc is the exit status of the last run (128+N for a signal); runstat
 * itself exits 0 when it could run the command, 2 otherwise, and warns on
 * standard error when the runs disagree on the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNSTAT_MAX_RUNS 1000

/* Opens path for writing (truncated) or /dev/null; exits 2 on failure. */
static int runstat_open_out(const char *path)
{
	int fd = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "runstat: cannot open '%s': %s\n", path ? path : "/dev/null",
			strerror(errno));
		exit(2);
	}
	return fd;
}

/*
 * Runs argv once; stores wall and CPU time in ms and peak RSS in KiB.
 * Returns the exit status (128+N for signal N), or -1 when the command
 * cannot start.
 */
static int runstat_once(char **argv, const char *out, const char *err, double *ms,
			double *cpu, long *rss)
{
	int ofd = runstat_open_out(out), efd = runstat_open_out(err);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "runstat: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(ofd, 1) < 0 || dup2(efd, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(ofd);
	close(efd);
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "runstat: wait: %s\n", strerror(errno));
			return -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	*rss = ru.ru_maxrss;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int runstat_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int runstat_cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static void runstat_usage(void)
{
	fprintf(stderr, "usage: runstat [-n RUNS] [-w WARMUP] [-T BUDGET_MS] [-O OUT] [-E ERR] "
		"-- CMD [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int runs = 5, warmup = 1, opt;
	double budget = 0;
	const char *out = NULL, *err = NULL;
	while ((opt = getopt(argc, argv, "+n:w:T:O:E:")) != -1) {
		switch (opt) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'T':
			budget = atof(optarg);
			break;
		case 'O':
			out = optarg;
			break;
		case 'E':
			err = optarg;
			break;
		default:
			runstat_usage();
		}
	}
	if (optind >= argc || runs < 1 || runs > RUNSTAT_MAX_RUNS || warmup < 0 ||
	    warmup > RUNSTAT_MAX_RUNS)
		runstat_usage();
	char **cmd = argv + optind;
	double ms[RUNSTAT_MAX_RUNS], cpu[RUNSTAT_MAX_RUNS];
	long rss[RUNSTAT_MAX_RUNS];
	int rc = 0, first_rc = -2, done = 0;
	double spent = 0;
	/* Output files are written by the last run; with a budget any run may
	 * be the last, so every run writes them then. */
	const char *o = budget > 0 ? out : NULL, *e = budget > 0 ? err : NULL;
	for (int i = 0; i < warmup + runs && done < runs; i++) {
		double t, c;
		long r;
		int last = i == warmup + runs - 1;
		rc = runstat_once(cmd, last ? out : o, last ? err : e, &t, &c, &r);
		if (rc < 0)
			return 2;
		if (rc == 127 && i == 0) {
			fprintf(stderr, "runstat: cannot run '%s'\n", cmd[0]);
			return 2;
		}
		if (first_rc == -2)
			first_rc = rc;
		else if (rc != first_rc)
			fprintf(stderr, "runstat: '%s' exited %d, earlier %d\n", cmd[0], rc, first_rc);
		spent += t;
		if (i >= warmup || (budget > 0 && t > budget)) {
			ms[done] = t;
			cpu[done] = c;
			rss[done] = r;
			done++;
		}
		if (budget > 0 && spent >= budget && done > 0)
			break;
	}
	runs = done;
	double sorted_ms[RUNSTAT_MAX_RUNS];
	memcpy(sorted_ms, ms, sizeof(double) * (size_t)runs);
	qsort(sorted_ms, (size_t)runs, sizeof(double), runstat_cmp_double);
	qsort(cpu, (size_t)runs, sizeof(double), runstat_cmp_double);
	qsort(rss, (size_t)runs, sizeof(long), runstat_cmp_long);
	double med = runs % 2 ? sorted_ms[runs / 2] :
		(sorted_ms[runs / 2 - 1] + sorted_ms[runs / 2]) / 2;
	double cmed = runs % 2 ? cpu[runs / 2] : (cpu[runs / 2 - 1] + cpu[runs / 2]) / 2;
	printf("runs=%d rc=%d wall_ms=%.3f wall_min_ms=%.3f wall_max_ms=%.3f cpu_ms=%.3f rss_kb=%ld\n",
		runs, rc, med, sorted_ms[0], sorted_ms[runs - 1], cmed, rss[runs / 2]);
	return 0;
}
