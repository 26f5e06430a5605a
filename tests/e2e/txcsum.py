#!/usr/bin/env python3
# `ethtool -K IFACE tx on|off` for machines without ethtool: TX checksum offload
# through the SIOCETHTOOL ioctl (ETHTOOL_STXCSUM), in the caller's netns.
import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17

if len(sys.argv) != 3 or sys.argv[2] not in ("on", "off"):
    sys.exit("usage: txcsum.py IFACE on|off")
value = bytearray(struct.pack("II", ETHTOOL_STXCSUM, 1 if sys.argv[2] == "on" else 0))
ptr = ctypes.addressof((ctypes.c_char * len(value)).from_buffer(value))
ifreq = struct.pack("16sP", sys.argv[1].encode(), ptr) + bytes(16)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
