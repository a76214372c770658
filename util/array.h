/* SPDX-License-Identifier: MIT */
/*
 * array.h - ARRAY_SIZE, the element count of an array (not a pointer).
 *
 * A leaf: includes nothing of the project (see util/utf8.h).
 */
#ifndef JIFEN_UTIL_ARRAY_H
#define JIFEN_UTIL_ARRAY_H

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* JIFEN_UTIL_ARRAY_H */
