from gun import config, tls

cn = ValueError(
    "\nThe certificate Common Name (CN) does not match with "
    "the expected CN\n"
)
ca = ValueError(
    "\nThe certificate is not correctly signed by the trusted CA\n"
)
old = ValueError("\nThe certificate validity has expired\n")
print(tls.link_error(cn))
print(tls.link_error(ca))
print(tls.link_error(old))
print(tls.link_error(OSError(-30592)))
print(repr(tls.link_error(OSError(104))))
good = {"id": "G01", "password": "pw", "broker": "10.0.0.2"}
print(config.problems(dict(good, tls=True, ca="MIIB")))
print(config.problems(dict(good, tls=True)))
print(config.problems(dict(good, tls="yes", ca="MIIB")))
