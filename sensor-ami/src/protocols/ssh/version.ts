// The SSH protocol version both sides will speak, from their identification strings — the same
// decision table as Zeek's SSH::set_version (1.99 means "2, or 1 if the peer only speaks 1").

type VersionVerdict =
  | { version: 1 | 2 }
  | { version: undefined; problem?: "SSH_version_mismatch" | "SSH_cannot_determine_version" };

const speaksBoth = (banner: string): boolean => banner.length > 7 && banner[6] === "9" && banner[7] === "9";

export function sshVersion(client: string, server: string): VersionVerdict {
  if (client.length <= 4 || server.length <= 4)
    return { version: undefined, problem: "SSH_cannot_determine_version" };
  const c = client[4];
  const s = server[4];
  if (c === "1" && s === "2")
    return speaksBoth(client) ? { version: 2 } : { version: undefined, problem: "SSH_version_mismatch" };
  if (c === "2" && s === "1")
    return speaksBoth(server) ? { version: 2 } : { version: undefined, problem: "SSH_version_mismatch" };
  if (c === "1" && s === "1") return { version: speaksBoth(server) && speaksBoth(client) ? 2 : 1 };
  if (c === "2" && s === "2") return { version: 2 };
  return { version: undefined };
}
