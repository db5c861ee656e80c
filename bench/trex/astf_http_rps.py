"""HTTP requests per second against tcpterm: keep-alive connections carrying several
requests each, optionally pipelined.

    ./t-rex-64 --astf --astf-client-mask 0x1 -f astf_http_rps.py -m 10000 -d 60
    ./t-rex-64 ... -t requests=64,pipeline=8    # 8 batches of 8 pipelined requests

Each connection sends --requests requests in batches of --pipeline: a batch is that many
requests in one write, and the next batch waits until every response of this one is in
(recv of exactly pipeline x the response size, the counter cleared after each batch).  The
client closes after the last batch.  --cps is the new-connection rate at -m 1, so the request
rate is cps x requests x m.
"""

from trex.astf.api import ASTFProgram

from tt_astf import client_info, profile, server_stand_in, tunables_parser
from tt_target import RESPONSE_KEEPALIVE_LEN

# Sent as is (repeated for a pipelined batch); tests/unit/trex_profiles.py replays it, whole,
# cut at every byte and pipelined, through tcpterm's HTTP parser.
HTTP_REQUEST = (b"GET /rps HTTP/1.1\r\n"
                b"Host: 198.18.1.10\r\n"
                b"User-Agent: trex-astf\r\n"
                b"Accept: */*\r\n"
                b"\r\n")


class HttpRps:
    def get_profile(self, tunables, **kwargs):
        parser = tunables_parser("astf_http_rps.py",
                                 "keep-alive HTTP, several requests per connection")
        parser.add_argument("--requests", type=int, default=16, help="requests per connection")
        parser.add_argument("--pipeline", type=int, default=1,
                            help="requests per write (must divide --requests)")
        args = parser.parse_args(tunables)
        if args.requests < 1 or args.pipeline < 1 or args.requests % args.pipeline:
            parser.error("--pipeline must be at least 1 and divide --requests")
        batches = args.requests // args.pipeline

        client = ASTFProgram()
        client.set_var("batches", batches)
        client.set_label("batch:")
        client.send(HTTP_REQUEST * args.pipeline)
        # recv counts bytes over the flow's life; clear=True restarts the count so that the
        # same command waits for this batch's responses on every pass of the loop.
        client.recv(RESPONSE_KEEPALIVE_LEN * args.pipeline, clear=True)
        client.jmp_nz("batches", "batch:")
        server = server_stand_in(len(HTTP_REQUEST) * args.pipeline,
                                 RESPONSE_KEEPALIVE_LEN * args.pipeline, batches=batches)
        return profile(client, server, args.cps, "rps", client_info())


def register():
    return HttpRps()
