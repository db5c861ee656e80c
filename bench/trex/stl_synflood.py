"""The flood half of the SYN flood test: a stateless stream of SYNs to tcpterm's http port
from random spoofed sources in FLOOD_RANGE, random source ports and sequence numbers, each
with the options a Linux client sends (MSS, SACK-permitted, timestamps, window scale), so
that tcpterm's cookies take the path that encodes them.

ASTF cannot carry it: its clients complete every handshake they start, and stateless streams
inside ASTF mode do not support TCP; so it runs in a second TRex, in stateless mode, on a port
of its own (README.md).  tcpterm's SYN-ACKs to these sources come back to that port and are
dropped there.

    trex> start -f stl_synflood.py -m 1mpps -p 0
    trex> start -f stl_synflood.py -t pps=200000 -p 0      (rate at -m 1)
"""

import argparse

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from trex.stl.api import (CTRexVmInsFixHwCs, STLPktBuilder, STLScVmRaw, STLStream, STLTXCont,
                          STLVmFixChecksumHw, STLVmFlowVar, STLVmWrFlowVar)

from tt_target import FLOOD_RANGE, HTTP_PORT, SERVER_IP

SYN_OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None),
               ("WScale", 7)]


class SynFlood:
    def get_streams(self, tunables, **kwargs):
        parser = argparse.ArgumentParser(prog="stl_synflood.py",
                                         description="spoofed SYNs to tcpterm's http port")
        parser.add_argument("--pps", type=float, default=100000.0, help="SYNs per second")
        args = parser.parse_args(tunables)

        base = (Ether() / IP(src=FLOOD_RANGE[0], dst=SERVER_IP) /
                TCP(sport=1024, dport=HTTP_PORT, flags="S", window=64240, options=SYN_OPTIONS))
        vm = STLScVmRaw([
            STLVmFlowVar(name="src", min_value=FLOOD_RANGE[0], max_value=FLOOD_RANGE[1],
                         size=4, op="random"),
            STLVmFlowVar(name="sport", min_value=1024, max_value=65535, size=2, op="random"),
            STLVmFlowVar(name="seq", min_value=0, max_value=0xffffffff, size=4, op="random"),
            STLVmWrFlowVar(fv_name="src", pkt_offset="IP.src"),
            STLVmWrFlowVar(fv_name="sport", pkt_offset="TCP.sport"),
            STLVmWrFlowVar(fv_name="seq", pkt_offset="TCP.seq"),
            # Both checksums after every rewrite (the NIC fills them): a SYN with a stale TCP
            # checksum would only exercise tcpterm's tcp_bad_checksum drop.
            STLVmFixChecksumHw(l3_offset="IP", l4_offset="TCP",
                               l4_type=CTRexVmInsFixHwCs.L4_TYPE_TCP),
        ])
        return [STLStream(packet=STLPktBuilder(pkt=base, vm=vm), mode=STLTXCont(pps=args.pps))]


def register():
    return SynFlood()
