"""What the ASTF profiles in this directory share: the tuple generator over tt_target's
addresses, the client's TCP options, and one template per client program.

TRex is the client side only (run with --astf-client-mask, see README.md): tcpterm is the
server.  ASTF still wants a server program in every template; ours is a stand-in that reads
each request and answers with a response of the size tcpterm sends, so that the same profile
also runs TRex against itself (port 0 cabled to port 1) to check the tester without tcpterm.
"""

import argparse

from trex.astf.api import (ASTFAssociationRule, ASTFGlobalInfo, ASTFIPGen, ASTFIPGenDist,
                           ASTFProfile, ASTFProgram, ASTFTCPClientTemplate,
                           ASTFTCPServerTemplate, ASTFTemplate)

from tt_target import CLIENT_RANGE, HTTP_PORT, SERVER_IP


def tunables_parser(prog, description):
    """The profile's -t options; every profile takes --cps, the new-connection rate at -m 1
    (TRex's -m multiplies it)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--cps", type=float, default=1.0,
                        help="new connections per second at -m 1")
    return parser


def ip_gen():
    """Clients from CLIENT_RANGE in turn, all to tcpterm's one address."""
    clients = ASTFIPGenDist(ip_range=list(CLIENT_RANGE), distribution="seq")
    server = ASTFIPGenDist(ip_range=[SERVER_IP, SERVER_IP], distribution="seq")
    return ASTFIPGen(dist_client=clients, dist_server=server)


def client_info(keepinit_s=None):
    """The client's TCP: a full-size MSS and RFC 7323 options (timestamps, window scale), as a
    Linux client sends them, so tcpterm's SYN cookies carry wscale/SACK in the timestamp.
    keepinit_s bounds a handshake (seconds) before TRex counts the connection as dropped."""
    info = ASTFGlobalInfo()
    info.tcp.mss = 1460
    info.tcp.do_rfc1323 = 1
    if keepinit_s is not None:
        info.tcp.keepinit = keepinit_s
    return info


def server_stand_in(request_len, response_len, batches=1, closes=False):
    """The server side TRex would run if it were its own peer: per batch, read request_len
    bytes and answer response_len bytes; with closes, close after the last answer (as tcpterm
    does for "Connection: close"), otherwise wait for the client's FIN."""
    prog = ASTFProgram()
    if batches > 1:
        prog.set_var("batches", batches)
        prog.set_label("batch:")
    prog.recv(request_len, clear=batches > 1)
    prog.send(b"x" * response_len)
    if batches > 1:
        prog.jmp_nz("batches", "batch:")
    if not closes:
        prog.wait_for_peer_close()
    return prog


def profile(client_prog, server_prog, cps, tg_name, info):
    """A profile of one template on tcpterm's http port; cps is the connection rate at -m 1
    (TRex's -m multiplies it)."""
    gen = ip_gen()
    client = ASTFTCPClientTemplate(program=client_prog, ip_gen=gen, port=HTTP_PORT, cps=cps)
    server = ASTFTCPServerTemplate(program=server_prog,
                                   assoc=ASTFAssociationRule(port=HTTP_PORT))
    one = ASTFTemplate(client_template=client, server_template=server, tg_name=tg_name)
    return ASTFProfile(default_ip_gen=gen, templates=[one], default_c_glob_info=info,
                       default_s_glob_info=info)
