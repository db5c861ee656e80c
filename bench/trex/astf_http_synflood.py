"""The legitimate half of a SYN flood test: HTTP clients that must keep being served while
stl_synflood.py floods tcpterm's port with spoofed SYNs (README.md: two TRex instances).

    ./t-rex-64 --astf --astf-client-mask 0x1 -f astf_http_synflood.py -m 1000 -d 60
    # and, in parallel, the stateless instance:  start -f stl_synflood.py -m 1mpps

Clients come from CLIENT_RANGE, the flood from FLOOD_RANGE, so TRex's statistics are the
legitimate clients' alone: a connection whose handshake does not finish within --keepinit
seconds is dropped and counted (tcps_conndrops), one served whole counts in tcps_closed and
the received bytes.  On tcpterm, the flood shows as syn_received and syncookies_sent, the
legitimate clients as syncookies_validated (once it answers with cookies) and http_requests.
"""

from trex.astf.api import ASTFProgram

from tt_astf import client_info, profile, server_stand_in, tunables_parser
from tt_target import RESPONSE_KEEPALIVE_LEN

# Sent as is; tests/unit/trex_profiles.py replays it through tcpterm's HTTP parser.
HTTP_REQUEST = (b"GET /legit HTTP/1.1\r\n"
                b"Host: 198.18.1.10\r\n"
                b"User-Agent: trex-astf\r\n"
                b"\r\n")


class HttpBesideSynFlood:
    def get_profile(self, tunables, **kwargs):
        parser = tunables_parser("astf_http_synflood.py", "legitimate clients beside a SYN flood")
        parser.add_argument("--keepinit", type=int, default=3,
                            help="seconds a handshake may take before the client gives up")
        args = parser.parse_args(tunables)

        # A plain client: request, the whole keep-alive response, close.
        client = ASTFProgram()
        client.send(HTTP_REQUEST)
        client.recv(RESPONSE_KEEPALIVE_LEN)
        server = server_stand_in(len(HTTP_REQUEST), RESPONSE_KEEPALIVE_LEN)
        return profile(client, server, args.cps, "legit", client_info(args.keepinit))


def register():
    return HttpBesideSynFlood()
