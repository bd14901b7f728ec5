#!/usr/bin/env python3
"""Extract the TLS TCP streams of a corpus capture into a committed JSON fixture.

Usage: extract-streams.py <corpus-relative capture> <out.json[.gz]> [max_streams] [max_direction_bytes]

For every TCP stream that carries a TLS handshake (tshark: tls.handshake.type == 1), the stream's
reassembled payload is dumped with `tshark -q -z follow,tcp,raw,<n>`, keeping tshark's chunking
(one chunk per TCP segment in capture order, so ClientHellos split over segments stay split) and
direction (isOrig = sent by the ClientHello sender, whichever side tshark saw first).
Streams are trimmed once the handshake is over (both directions have started an application-data record) or at
MAX_DIRECTION_BYTES per direction, to keep fixtures small. Frame numbers of the stream's payload
packets are recorded so every byte can be traced back to the capture.
"""
import gzip
import json
import subprocess
import sys

CORPUS = "/work/shared/corpus/"
MAX_DIRECTION_BYTES = 48 * 1024
MAX_STREAMS_DEFAULT = 80


def tshark(*args):
    return subprocess.run(["tshark", "-n", *args], capture_output=True, text=True, check=True).stdout


def main():
    capture, out_path = sys.argv[1], sys.argv[2]
    max_streams = int(sys.argv[3]) if len(sys.argv) > 3 else MAX_STREAMS_DEFAULT
    max_direction_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else MAX_DIRECTION_BYTES
    path = CORPUS + capture
    hello_streams = []
    for line in tshark("-r", path, "-Y", "tls.handshake.type == 1 && tcp", "-T", "fields", "-e", "tcp.stream").split():
        for s in line.split(","):
            if int(s) not in hello_streams:
                hello_streams.append(int(s))
    hello_streams = hello_streams[:max_streams]
    # The ClientHello's sender is the originator (a capture may start with the SYN-ACK, or mid-stream).
    client_port = {}
    for line in tshark("-r", path, "-Y", "tcp && tls.handshake.type == 1", "-T", "fields", "-e", "tcp.stream",
                       "-e", "tcp.srcport", "-e", "tcp.dstport").splitlines():
        s, sp, dp = line.split("\t")
        client_port.setdefault(int(s), [int(sp.split(",")[0]), int(dp.split(",")[0])])
    frames = {}
    for line in tshark("-r", path, "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.stream", "-e", "frame.number").splitlines():
        s, f = line.split("\t")
        frames.setdefault(int(s), []).append(int(f))
    args = ["-r", path, "-q"]
    for s in hello_streams:
        args += ["-z", f"follow,tcp,raw,{s}"]
    text = tshark(*args)
    blocks = text.split("===================================================================\nFollow: tcp,raw\n")[1:]
    streams = []
    by_stream = {}
    for block in blocks:
        # tshark does not print the follow blocks in -z order: read each block's own filter line.
        by_stream[int(block.split("Filter: tcp.stream eq ", 1)[1].split("\n", 1)[0])] = block
    for s in hello_streams:
        block = by_stream[s]
        # "Node 0: <addr>:<port>" is the side that sent the stream's first packet; chunks of the
        # other node are tab-indented. Map both to isOrig with the ClientHello sender's port.
        node0_port = int(block.split("Node 0: ", 1)[1].split("\n", 1)[0].rsplit(":", 1)[1])
        node0_is_orig = node0_port == client_port[s][0]
        chunks, sent, app_data_seen = [], [0, 0], [False, False]
        for line in block.splitlines():
            if line.startswith(("Filter:", "Node ", "=====")) or not line.strip():
                continue
            is_resp = line.startswith("\t")
            data = line.strip()
            direction = 0 if (is_resp != node0_is_orig) else 1
            if sent[direction] >= max_direction_bytes:
                continue
            data = data[: 2 * (max_direction_bytes - sent[direction])]
            sent[direction] += len(data) // 2
            chunks.append([1 if is_resp != node0_is_orig else 0, data])
            if data.startswith("1703"):
                app_data_seen[direction] = True
                if all(app_data_seen):
                    break
        streams.append({"stream": s, "ports": client_port[s], "frames": frames.get(s, []), "chunks": chunks})
    fixture = {
        "capture": capture,
        "extracted_with": "tshark 4.0.17 -q -z follow,tcp,raw,<stream>; chunk = [isOrig 1/0, hex]",
        "streams": streams,
    }
    text = json.dumps(fixture, indent=None, separators=(",", ":")) + "\n"
    if out_path.endswith(".gz"):
        with gzip.open(out_path, "wt") as fh:
            fh.write(text)
    else:
        with open(out_path, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
