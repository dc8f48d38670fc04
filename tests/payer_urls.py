"""Payer URLs the service must never call, each with the reason it gives (unit and proof tests)."""

LINK_LOCAL = "payer URL host is a link-local address (where cloud metadata services answer)"
PRIVATE = "payer URL host is a private address"
RESERVED = "payer URL host is a reserved address"
USERINFO = (
    "payer URL must not hold a user name or password (user@host); "
    "name credentials by environment variable in the settings"
)

FORBIDDEN = [
    ("https://169.254.169.254/latest/meta-data", LINK_LOCAL),
    ("https://10.0.0.5/core", PRIVATE),
    ("https://172.16.4.1/core", PRIVATE),
    ("https://192.168.1.10/core", PRIVATE),
    ("https://100.64.0.1/core", RESERVED),  # carrier-grade NAT, not public
    ("https://[fd00::5]/core", PRIVATE),  # ULA fc00::/7
    ("https://[fe80::1]/core", "payer URL host is a link-local address (where cloud metadata "
     "services answer)"),
    ("https://0.0.0.0/core", "payer URL host is an unspecified address"),
    ("https://[::]/core", "payer URL host is an unspecified address"),
    ("https://224.0.0.251/core", "payer URL host is a multicast address"),
    ("https://[ff02::1]/core", "payer URL host is a multicast address"),
    ("https://[::ffff:169.254.169.254]/core", LINK_LOCAL),  # IPv4-mapped
    ("https://[::ffff:10.0.0.5]/core", PRIVATE),
    ("https://[::169.254.169.254]/core", RESERVED),  # IPv4-compatible
    ("https://[64:ff9b::a9fe:a9fe]/core", LINK_LOCAL),  # NAT64
    ("https://[2002:a9fe:a9fe::1]/core", LINK_LOCAL),  # 6to4
    ("https://2852039166/core", LINK_LOCAL),  # 169.254.169.254 as one number
    ("https://0xa9fea9fe/core", LINK_LOCAL),
    ("https://metadata.google.internal/computeMetadata/v1/",
     "payer URL host metadata.google.internal is a cloud metadata service"),
    ("https://METADATA.google.internal./x",
     "payer URL host metadata.google.internal is a cloud metadata service"),
    ("https://metadata/x", "payer URL host metadata is a cloud metadata service"),
    ("https://instance-data/latest", "payer URL host instance-data is a cloud metadata service"),
    ("https://payer.example.com@169.254.169.254/core", USERINFO),
    ("https://user:secret@payer.example.com/core", USERINFO),
    ("https://payer.example.com\\@10.0.0.5/core", USERINFO),
]  # fmt: skip
