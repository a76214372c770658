/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_JIFENCTL_CTL_WEB_H
#define JIFEN_JIFENCTL_CTL_WEB_H
/*
 * ctl_web - `jifenctl web passwd`: set the console's clerk password
 * (SPEC section 5).  Asked twice without echo on a terminal; from a
 * pipe, one line each (so scripts and `make run` can set it).  Stored
 * as a crypt(3) hash (storage/web.h).  Returns the exit status.
 */
#include "storage/store.h"

int ctl_web(struct store *st, int argc, char **argv);

#endif
