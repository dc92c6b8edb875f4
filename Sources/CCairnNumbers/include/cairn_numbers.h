#ifndef CAIRN_NUMBERS_H
#define CAIRN_NUMBERS_H
#include <stddef.h>

/* Number parsing and formatting with exactly the C library behaviour Redis relies on
 * (strtod/strtold acceptance rules, %.17g and %.17Lf output), which Swift's own
 * formatting does not reproduce. */

/* 1 when buf[0..<len] is a whole double as Redis accepts it (no leading space, no NaN). */
int cairn_parse_double(const char *buf, size_t len, double *out);
/* strtod as Redis's range parsing uses it: leading spaces allowed, the whole rest must be
 * consumed (an empty string is 0), NaN refused. */
int cairn_parse_double_strtod(const char *buf, size_t len, double *out);
/* strtod as Redis's SORT reads a weight: as above (any length), and also refused when out
 * of range (ERANGE: an overflow, or an underflow to a subnormal number or zero). */
int cairn_parse_double_sort(const char *buf, size_t len, double *out);
/* Same with long double precision (INCRBYFLOAT, HINCRBYFLOAT). */
int cairn_parse_long_double(const char *buf, size_t len, long double *out);
/* "%.17g", as Redis 7.0 replies with a double. Returns the length written. */
size_t cairn_format_double_g17(char *buf, size_t len, double value);

/* The number of set bits in len bytes (BITCOUNT): the CPU's popcnt instruction when it
 * has one, found at run time. */
size_t cairn_popcount(const unsigned char *p, size_t len);
/* Redis's d2string: integers without a fraction, else %.17g; nan, inf, -inf, -0. */
size_t cairn_format_double_d2string(char *buf, size_t len, double value);
/* Redis's ld2string in human mode: %.17Lf with trailing zeros removed. 0 on overflow. */
size_t cairn_format_long_double_human(char *buf, size_t len, long double value);

#endif
