/* SPDX-License-Identifier: MIT */
/*
 * unit.h -- the suites of aiod's Check unit tests, one per pure part of the
 * daemon, collected by unit_main.c.
 */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>

Suite *config_suite(void);
Suite *abi_suite(void);
Suite *rules_suite(void);
Suite *backend_suite(void);
Suite *memlock_suite(void);
Suite *locktbl_suite(void);
Suite *engine_suite(void);
Suite *quota_suite(void);
Suite *attach_msg_suite(void);
Suite *statq_suite(void);
Suite *latency_suite(void);
Suite *trace_suite(void);
Suite *dmlinear_suite(void);
Suite *direct_tally_suite(void);

#endif
