"""Webhook destinations by spelling, shared by the API, staff-site and delivery tests: every
non-public address however written (IPv4-mapped/compatible IPv6, NAT64, 6to4, Teredo), and
public ones that must still be accepted. Each pair is (host as written in a URL, the address the
refusal names)."""

NON_PUBLIC = [
    ("10.20.30.40", "10.20.30.40"),  # private
    ("172.16.0.1", "172.16.0.1"),
    ("192.168.1.10", "192.168.1.10"),
    ("127.0.0.1", "127.0.0.1"),  # loopback
    ("169.254.169.254", "169.254.169.254"),  # link-local: cloud metadata
    ("100.64.0.1", "100.64.0.1"),  # carrier-grade NAT
    ("0.0.0.0", "0.0.0.0"),  # noqa: S104 - unspecified
    ("224.0.0.1", "224.0.0.1"),  # multicast
    ("240.0.0.1", "240.0.0.1"),  # reserved
    ("198.18.0.1", "198.18.0.1"),  # benchmarking
    ("[::1]", "::1"),
    ("[::]", "::"),
    ("[fd00::1]", "fd00::1"),  # unique local
    ("[fe80::1]", "fe80::1"),  # link-local
    ("[fec0::1]", "fec0::1"),  # site-local (deprecated, still routed inside)
    ("[ff02::1]", "ff02::1"),  # multicast
    ("[2001:db8::1]", "2001:db8::1"),  # documentation
    # IPv4-mapped IPv6: the same socket as the IPv4 address.
    ("[::ffff:10.0.0.1]", "::ffff:a00:1"),
    ("[::ffff:a00:1]", "::ffff:a00:1"),
    ("[0:0:0:0:0:ffff:0a00:0001]", "::ffff:a00:1"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ("[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe"),
    # IPv4-compatible IPv6 (deprecated, tunnelled where sit is configured).
    ("[::10.0.0.1]", "::a00:1"),
    ("[::a9fe:a9fe]", "::a9fe:a9fe"),
    ("[::127.0.0.1]", "::7f00:1"),
    # NAT64 well-known prefix 64:ff9b::/96 and the local-use 64:ff9b:1::/48.
    ("[64:ff9b::10.0.0.1]", "64:ff9b::a00:1"),
    ("[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"),
    ("[64:ff9b::127.0.0.1]", "64:ff9b::7f00:1"),
    ("[64:ff9b::192.168.0.1]", "64:ff9b::c0a8:1"),
    ("[64:ff9b:1::a00:1]", "64:ff9b:1::a00:1"),
    # 6to4 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    ("[2002:a00:1::1]", "2002:a00:1::1"),
    ("[2002:a9fe:a9fe::]", "2002:a9fe:a9fe::"),
    ("[2002:7f00:1::1]", "2002:7f00:1::1"),
    # Teredo 2001:0:<server>:<flags>:<port>:<client xor ffff:ffff>: a private server or client.
    ("[2001:0:a00:1::f7f7:f7f7]", "2001:0:a00:1::f7f7:f7f7"),  # server 10.0.0.1
    ("[2001:0:808:808::f5ff:fffe]", "2001:0:808:808::f5ff:fffe"),  # client 10.0.0.1
    ("[2001:0:808:808::5601:5601]", "2001:0:808:808::5601:5601"),  # client 169.254.169.254
]

PUBLIC = [
    "8.8.8.8",
    "[2001:4860:4860::8888]",
    "[::ffff:8.8.8.8]",
    "[64:ff9b::8.8.8.8]",  # what a DNS64 resolver answers for a public IPv4-only host
    "[2002:808:808::1]",
    "[2001:0:808:808::f7f7:f7f7]",  # Teredo: server and client 8.8.8.8
]
