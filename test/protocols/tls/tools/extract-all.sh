#!/bin/sh
# Regenerate every stream fixture from the corpus (tshark 4.0.17). Handshake-focused captures keep
# 48 KiB per direction; the large multi-site captures keep 24 KiB (enough for hellos and most chains).
set -eu
cd "$(dirname "$0")/.."
for capture in ja4/tls12.pcap ja4/tls3.pcapng ja4/tls-handshake.pcapng ja4/latest.pcapng ja4/ipv6.pcapng \
  zeek/tls__tls1.2.pcap zeek/tls__tls13-ech.pcap zeek/tls__tls-conn-with-extensions.pcap zeek/tls__ssl.v3.pcap \
  zeek/tls__chrome-34-google.pcap ndpi/443-curl.pcap ndpi/443-firefox.pcap ndpi/tls_with_huge_ch.pcapng \
  pcapplusplus/tls.pcap arkime/tls-split-client-hello.pcap arkime/curl-enabled-tls13.pcap \
  suricata-verify/tls__tls-client-hello-frag-01__dump_mtu300.pcap; do
  python3 tools/extract-streams.py "$capture" "fixtures/$(basename "$capture").streams.json.gz" 80 49152
done
for capture in ndpi/sites.pcapng ndpi/teams.pcap pcapplusplus/many-protocols.pcap ndpi/netflix.pcap ndpi/android.pcap \
  ndpi/http_ipv6.pcap ndpi/1kxun.pcap ndpi/encrypted_sni.pcap pcapplusplus/many_interfaces-1.pcapng ndpi/vxlan.pcap \
  ndpi/http_connect.pcap ndpi/6in4tunnel.pcap ndpi/tls_ech.pcapng ndpi/tls_2_reasms.pcapng \
  ndpi/tls_1.3_unidirectional_client.pcapng ndpi/ja3_lots_of_cipher_suites.pcap ndpi/google_ssl.pcap ndpi/dns_dot.pcap \
  ndpi/dns_doh.pcap arkime/https3-301-get.pcap; do
  python3 tools/extract-streams.py "$capture" "fixtures/$(basename "$capture").streams.json.gz" 80 24576
done
# The 340 KB certificate message of this capture is kept whole.
python3 tools/extract-streams.py zeek/tls__tls-fragmented-handshake.pcap fixtures/tls__tls-fragmented-handshake.pcap.streams.json.gz 80 1000000
# The x509 oracle: OpenSSL's description of every certificate tshark finds in those captures.
# shellcheck disable=SC2046 # one argument per capture path (they hold no spaces)
python3 tools/openssl-certificates.py fixtures/certificates.openssl.json $(for f in fixtures/*.streams.json.gz; do
  python3 -c "import gzip, json, sys; print(json.load(gzip.open(sys.argv[1]))['capture'])" "$f"
done)
