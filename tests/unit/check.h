/*
 * check.h - the smallest test harness: CHECK(cond) records a failure with its
 * line and goes on; CHECK_DONE() prints the count and returns the exit status.
 */
#ifndef COFFER_TEST_CHECK_H
#define COFFER_TEST_CHECK_H

#include <stdio.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                \
	do {                                                                       \
		check_count++;                                                     \
		if (!(cond)) {                                                     \
			check_failures++;                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                  \
	} while (0)

#define CHECK_DONE()                                                                \
	(printf("%d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)

#endif
