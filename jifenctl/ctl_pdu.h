/* SPDX-License-Identifier: MIT */
/*
 * ctl_pdu.h - "jifenctl pdu decode|encode": the PDU codec from the shell.
 */
#ifndef JIFEN_GATEWAY_CTL_PDU_H
#define JIFEN_GATEWAY_CTL_PDU_H

/*
 * Run "pdu decode [--no-smsc] HEX" or "pdu encode [--ucs2] NUMBER TEXT";
 * @argv[0] is "pdu".  decode prints one line of JSON on stdout; encode
 * prints one uppercase hex line per part (SMSC field "00" included).
 * Returns the exit status: 0 success, 1 malformed PDU or text that
 * cannot be encoded (one line "jifenctl: pdu ...: <why>" on stderr),
 * 2 usage error.
 */
int ctl_pdu(int argc, char **argv);

#endif
