#!/usr/bin/env python3
"""Build the x509 oracle: every certificate tshark finds in the fixture captures, described by
OpenSSL 3.0 (`openssl x509 -inform DER -nameopt RFC2253 ...`), keyed by SHA-256 of the DER.

Usage: openssl-certificates.py <out.json> <corpus-relative capture>...
"""
import hashlib
import re
import json
import subprocess
import sys

CORPUS = "/work/shared/corpus/"


def openssl(der, *args):
    return subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", *args], input=der, capture_output=True, check=True).stdout.decode("utf8", "replace")


def main():
    out_path, captures = sys.argv[1], sys.argv[2:]
    oracle = {}
    for capture in captures:
        text = subprocess.run(
            ["tshark", "-n", "-r", CORPUS + capture, "-Y", "tls.handshake.certificate && tcp", "-T", "fields",
             "-e", "frame.number", "-e", "tls.handshake.certificate"],
            capture_output=True, text=True, check=True).stdout
        for line in text.splitlines():
            frame, certs = line.split("\t")
            for cert_hex in certs.split(","):
                der = bytes.fromhex(cert_hex.replace(":", ""))
                fp = hashlib.sha256(der).hexdigest()
                if fp in oracle:
                    continue
                fields = {}
                for key, value in (l.split("=", 1) for l in openssl(der, "-subject", "-issuer", "-serial", "-startdate", "-enddate", "-nameopt", "RFC2253").splitlines()):
                    fields[key.strip()] = value.strip()
                san = openssl(der, "-ext", "subjectAltName")
                dns = [p.strip()[4:] for p in "".join(san.splitlines()[1:]).split(",") if p.strip().startswith("DNS:")]
                text_dump = openssl(der, "-text")
                def find(pattern):
                    m = re.search(pattern, text_dump)
                    return m.group(1) if m else None
                constraints = find(r"X509v3 Basic Constraints:(?: critical)?[ \t]*\n\s*([^\n]*)")
                oracle[fp] = {"capture": capture, "frame": int(frame), "subject": fields["subject"], "issuer": fields["issuer"],
                              "serial": fields["serial"], "notBefore": fields["notBefore"], "notAfter": fields["notAfter"], "sanDns": dns,
                              "version": int(find(r"Version: (\d+)")),
                              "signatureAlgorithm": find(r"Signature Algorithm: (\S+)"),
                              "publicKeyAlgorithm": find(r"Public Key Algorithm: (\S+)"),
                              "publicKeyBits": int(find(r"Public-Key: \((\d+) bit\)")),
                              "exponent": find(r"Exponent: (\d+)"),
                              "curve": find(r"ASN1 OID: (\S+)"),
                              "basicConstraints": constraints}
    with open(out_path, "w") as fh:
        json.dump(oracle, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
