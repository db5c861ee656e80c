"""HTTP connections per second against tcpterm: one request per connection.

    ./t-rex-64 --astf --astf-client-mask 0x1 -f astf_http_cps.py -m 100000 -d 60
    ./t-rex-64 ... -t close=server          # tcpterm closes instead (Connection: close)

--close client (default): the request is HTTP/1.1 keep-alive; once the whole response is in,
the client closes first.  tcpterm goes CLOSE-WAIT -> LAST-ACK and keeps no TIME-WAIT: the
connection costs it SYN-ACK, response, FIN.
--close server: the request carries "Connection: close"; tcpterm puts its FIN on the
response's last segment and holds the 4-tuple in TIME-WAIT (tcp.time_wait_ms).

--cps is the rate at -m 1; TRex's -m multiplies it.
"""

from trex.astf.api import ASTFProgram

from tt_astf import client_info, profile, server_stand_in, tunables_parser
from tt_target import RESPONSE_CLOSE_LEN, RESPONSE_KEEPALIVE_LEN

# Sent as is; tests/unit/trex_profiles.py replays both through tcpterm's HTTP parser.
HTTP_REQUEST = (b"GET /cps HTTP/1.1\r\n"
                b"Host: 198.18.1.10\r\n"
                b"User-Agent: trex-astf\r\n"
                b"\r\n")
HTTP_REQUEST_CLOSE = (b"GET /cps HTTP/1.1\r\n"
                      b"Host: 198.18.1.10\r\n"
                      b"User-Agent: trex-astf\r\n"
                      b"Connection: close\r\n"
                      b"\r\n")


class HttpCps:
    def get_profile(self, tunables, **kwargs):
        parser = tunables_parser("astf_http_cps.py", "one HTTP request per connection")
        parser.add_argument("--close", choices=("client", "server"), default="client",
                            help="which side closes the connection first")
        args = parser.parse_args(tunables)

        client = ASTFProgram()
        if args.close == "client":
            client.send(HTTP_REQUEST)
            # Every byte of the keep-alive response, then the program ends and TRex closes.
            client.recv(RESPONSE_KEEPALIVE_LEN)
            server = server_stand_in(len(HTTP_REQUEST), RESPONSE_KEEPALIVE_LEN)
        else:
            client.send(HTTP_REQUEST_CLOSE)
            # The close response's bytes, then tcpterm's FIN (on the same segment).
            client.recv(RESPONSE_CLOSE_LEN)
            client.wait_for_peer_close()
            server = server_stand_in(len(HTTP_REQUEST_CLOSE), RESPONSE_CLOSE_LEN, closes=True)
        return profile(client, server, args.cps, "cps_" + args.close, client_info())


def register():
    return HttpCps()
