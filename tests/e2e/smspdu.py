"""A small SMS PDU codec for the end-to-end tests (TS 23.040), written
independently of modem/pdu.c so the tests check the C codec rather than
share its mistakes: SMS-DELIVER building (what the network hands the
simulator), SMS-SUBMIT building and a minimal SMS-DELIVER decoder."""
import time

GSM7_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789 !\"#%&'()*+,-./:;<=>?")   # same code in GSM 03.38


def _semi(digits):
    if len(digits) % 2:
        digits += "F"
    return "".join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2))


def _pack7(septets, fill=0):
    """Pack septets little-endian after FILL padding bits."""
    out, acc, nbits = bytearray(), 0, fill
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def _addr(number):
    if number.lstrip("+").isdigit():
        digits = number.lstrip("+")
        toa = 0x91 if number.startswith("+") else 0x81
        return "%02X%02X%s" % (len(digits), toa, _semi(digits))
    packed = _pack7([ord(c) for c in number])      # alphanumeric (TOA D0)
    return "%02X%02X%s" % ((len(number) * 7 + 3) // 4, 0xD0, packed.hex().upper())


_scts_counter = [0]


def _scts():
    """A distinct, current service-centre time stamp (+08:00) per PDU."""
    _scts_counter[0] += 1
    tm = time.localtime(time.time() - 60 + _scts_counter[0] % 60)
    vals = (tm.tm_year % 100, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
            tm.tm_sec, 32)
    return "".join(_semi("%02d" % v) for v in vals)


def deliver_pdu(sender, text=None, data=None, alphabet="gsm7", udh=b"",
                klass=None, udl=None):
    """SMS-DELIVER hex with an empty SMSC field ("00")."""
    first = 0x04 | (0x40 if udh else 0)            # MTI 0, no more messages
    dcs = {"gsm7": 0x00, "8bit": 0x04, "ucs2": 0x08}[alphabet]
    if klass is not None:
        dcs |= 0x10 | klass
    hdr = bytes([len(udh)]) + udh if udh else b""
    if alphabet == "gsm7":
        assert all(c in GSM7_SAFE for c in text), text
        hs = (len(hdr) * 8 + 6) // 7                 # header + fill bits
        body = _pack7([0] * hs + [ord(c) for c in text])
        body = hdr + body[len(hdr):]
        n = hs + len(text)
    else:
        payload = text.encode("utf-16-be") if alphabet == "ucs2" else data
        body = hdr + payload
        n = len(body)
    if udl is not None:
        n = udl
    return ("00%02X%s00%02X%s%02X" % (first, _addr(sender), dcs, _scts(), n)
            + body.hex().upper())


def concat_ie(ref, total, seq):
    return bytes([0x00, 0x03, ref & 0xFF, total, seq])


def port_ie(dst, src):
    return bytes([0x05, 0x04, dst >> 8, dst & 0xFF, src >> 8, src & 0xFF])


def ucs2_parts(sender, text, ref, per_part=67):
    """Split TEXT (BMP only) into concatenated UCS-2 PDUs, seq 1..n."""
    chunks = [text[i:i + per_part] for i in range(0, len(text), per_part)]
    assert len(chunks) <= 255
    return [deliver_pdu(sender, c, alphabet="ucs2",
                        udh=concat_ie(ref, len(chunks), i + 1))
            for i, c in enumerate(chunks)]


def submit_pdus(number, text, srr=False, ref=0x42):
    """SMS-SUBMIT PDUs (hex with a "00" SMSC field) and their TPDU lengths."""
    ucs2 = any(c not in GSM7_SAFE for c in text)
    per = (67 if ucs2 else 153) if len(text) > (70 if ucs2 else 160) else len(text) or 1
    chunks = [text[i:i + per] for i in range(0, len(text), per)] or [""]
    out = []
    for seq, chunk in enumerate(chunks, 1):
        udh = b""
        if len(chunks) > 1:
            udh = bytes([5, 0, 3, ref, len(chunks), seq])
        fo = 0x01 | (0x20 if srr else 0) | (0x40 if udh else 0)
        if ucs2:
            body = udh + chunk.encode("utf-16-be")
            udl = len(body)
            dcs = 0x08
        else:
            fill = (7 - (len(udh) * 8) % 7) % 7 if udh else 0
            septets = [ord(c) if c != "@" else 0 for c in chunk]
            body = udh + _pack7(septets, fill)
            udl = (len(udh) * 8 + fill) // 7 + len(septets)
            dcs = 0x00
        tpdu = "%02X00%s00%02X%02X%s" % (fo, _addr(number), dcs, udl,
                                         body.hex().upper())
        out.append(("00" + tpdu, len(tpdu) // 2))
    return out


def _unpack7(data, n, skip_bits=0):
    bits = int.from_bytes(data, "little")
    return "".join(chr((bits >> (skip_bits + 7 * i)) & 0x7F) for i in range(n))


def decode_deliver(hexpdu):
    """Minimal SMS-DELIVER decoder: {smsc, sender, text, concat}."""
    b = bytes.fromhex(hexpdu)
    sl = b[0]
    smsc = b[1:1 + sl]
    p = 1 + sl
    fo = b[p]
    p += 1
    if fo & 0x03 == 0x02:
        return {"type": "status-report", "mr": b[p]}
    olen, toa = b[p], b[p + 1]
    p += 2
    onum = b[p:p + (olen + 1) // 2]
    p += (olen + 1) // 2
    if toa & 0x70 == 0x50:
        sender = _unpack7(onum, olen * 4 // 7)
    else:
        d = "".join("%X%X" % (x & 0xF, x >> 4) for x in onum)[:olen]
        sender = ("+" if toa & 0x70 == 0x10 else "") + d
    dcs = b[p + 1]
    p += 2 + 7
    udl = b[p]
    ud = b[p + 1:]
    concat = None
    hdr = 0
    if fo & 0x40:
        hdr = ud[0] + 1
        if ud[1] == 0:
            concat = (ud[3], ud[4], ud[5])
    if dcs & 0x0C == 0x08:
        text = ud[hdr:udl].decode("utf-16-be")
    else:
        skip = (hdr * 8 + 6) // 7 * 7 if hdr else 0
        text = _unpack7(ud, udl, 0)[skip // 7:] if not hdr else \
            "".join(chr((int.from_bytes(ud, "little") >> (skip + 7 * i)) & 0x7F)
                    for i in range(udl - skip // 7))
    sc = "".join("%X%X" % (x & 0xF, x >> 4) for x in smsc[1:]).rstrip("F")
    return {"type": "deliver", "smsc": "+" + sc if smsc and smsc[0] == 0x91 else sc,
            "sender": sender, "text": text, "concat": concat}
