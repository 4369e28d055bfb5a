/* check.h - the sgx-sim test host's one assertion: prints ok or FAIL and
 * the message, and counts failures (host.c and ocalls_host.c). */
#ifndef COFFER_TESTS_SGXSIM_CHECK_H
#define COFFER_TESTS_SGXSIM_CHECK_H

#include <stdio.h>

extern int failures;
#define CHECK(cond, ...)                                      \
	do {                                                  \
		if (cond) {                                   \
			printf("ok   ");                      \
		} else {                                      \
			printf("FAIL ");                      \
			failures++;                           \
		}                                             \
		printf(__VA_ARGS__);                          \
		printf("\n");                                 \
		fflush(stdout);                               \
	} while (0)

#endif
