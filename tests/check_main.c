/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_main.c - main() of every Check suite program: run the suite that
 * check_suite() builds, with what Check takes from the environment
 * (CK_RUN_SUITE, CK_RUN_CASE, CK_INCLUDE_TAGS, CK_EXCLUDE_TAGS, CK_FORK,
 * CK_DEFAULT_TIMEOUT, CK_TIMEOUT_MULTIPLIER, and CK_VERBOSITY, which
 * defaults to "normal": Check's summary line, "100%: Checks: N, Failures:
 * 0, Errors: 0", which scripts/test.sh collects).  Exit 0 when every test
 * passed, 1 otherwise.
 */
#include "config.h"

#include <stdlib.h>

#include "tests/check_main.h"

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
