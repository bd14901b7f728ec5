#!/bin/sh
# Builds fixtures/escaped-names.json: self-signed certificates whose names need RFC 2253 escaping
# (non-ASCII in UTF8String, BMPString and T61String; the RFC 2253 specials; a leading "#"),
# with OpenSSL's own `-nameopt RFC2253` subject (X509_NAME_print_ex with XN_FLAG_RFC2253, what Zeek
# logs). Requires openssl and python3. Run from the repository root.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=test/protocols/tls/fixtures/escaped-names.json
printf '[\n' > "$out.tmp"
first=1
for variant in utf8:utf8only bmp:MASK:0x800 t61:MASK:0x4; do
  name=${variant%%:*}
  mask=${variant#*:}
  # Values as openssl's config syntax wants them ("\#" is a "#", which would start a comment).
  # Characters beyond Latin-1 (and beyond the BMP) only where the string type can carry them.
  wide=''
  case $name in
    utf8) wide='東京 🗾|日本' ;;
    bmp) wide='東京|日本' ;;
  esac
  for subject in 'Müller Straße|Ünïcode, Inc.' '\#hash first|a+b=c; <x> \"q\"' ${wide:+"$wide"}; do
    cn=${subject%%|*}
    org=${subject#*|}
    cat > "$dir/req.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
utf8 = yes
string_mask = $mask
[dn]
C = DE
O = $org
CN = $cn
CNF
    openssl req -x509 -newkey rsa:1024 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 -config "$dir/req.cnf" 2>/dev/null
    der=$(openssl x509 -in "$dir/cert.pem" -outform DER | od -An -v -tx1 | tr -d ' \n')
    rfc2253=$(openssl x509 -in "$dir/cert.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
    [ $first = 1 ] || printf ',\n' >> "$out.tmp"
    first=0
    python3 -c 'import json,sys; print(json.dumps({"stringType": sys.argv[1], "der": sys.argv[2], "subject": sys.argv[3]}), end="")' "$name" "$der" "$rfc2253" >> "$out.tmp"
  done
done
printf '\n]\n' >> "$out.tmp"
mv "$out.tmp" "$out"
