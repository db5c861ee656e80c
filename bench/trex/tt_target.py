"""Where the TRex profiles in this directory send their traffic: tcpterm running
conf/examples/pci-port.conf (one PCI port, 198.18.1.10/24, gateway 198.18.1.1, an http
listener on port 80).  Plain Python without TRex, so that the project's tests can read it
(tests/unit/trex_profiles.py): keep every value a literal.

Addresses are from 198.18.0.0/15 (RFC 2544, benchmarking).  TRex stands in for the gateway
198.18.1.1 and the clients live "beyond the router" in 198.19.0.0/16; tcpterm answers every
segment to the MAC address it came from, so it needs no route or ARP entry for them.
"""

# The configuration tcpterm must run for these numbers to hold.
EXAMPLE_CONF = "conf/examples/pci-port.conf"

# ports[0].address of EXAMPLE_CONF and its http listener.
SERVER_IP = "198.18.1.10"
HTTP_PORT = 80

# Legitimate HTTP clients (ASTF): 4094 addresses, each good for ~64k source ports.
CLIENT_RANGE = ("198.19.0.1", "198.19.15.254")
# Spoofed SYN sources of the flood (STL); disjoint from CLIENT_RANGE so that TRex's ASTF side
# never mistakes a SYN-ACK for the flood as one of its own flows.
FLOOD_RANGE = ("198.19.128.1", "198.19.255.254")

# Bytes of the response tcpterm sends for one request under EXAMPLE_CONF (http.status 200,
# headers "Content-Type: text/html" and "Cache-Control: no-store", body_size 1024):
#   HTTP/1.1 200 OK\r\n                 17
#   Content-Type: text/html\r\n         25
#   Cache-Control: no-store\r\n         25
#   Content-Length: 1024\r\n            22
#   Connection: keep-alive\r\n          24   (or "Connection: close\r\n", 19)
#   \r\n                                 2
#   body                              1024
# A TRex recv() must wait for exactly this many bytes per request: fewer would let a client
# move on (or close) while the response is still arriving, more would hang the flow until
# its timeout.  test_http_profiles (tests/unit) builds the response from EXAMPLE_CONF with
# tcpterm's own code and fails if these drift from it.
RESPONSE_KEEPALIVE_LEN = 1139
RESPONSE_CLOSE_LEN = 1134
