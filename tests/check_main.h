/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * check_main.h - the one runner of the Check suites.  A suite file
 * defines check_suite() and links tests/check_main.c, whose main() runs
 * it; it has no main() of its own.
 */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>

/* check_suite - the program's suite, built anew on each call */
Suite	*check_suite(void);

#endif
