import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/**
 * What a process could be reached through: the inodes of its open sockets
 * that listen (TCP in LISTEN state, bound UDP, Unix sockets accepting
 * connections), read from /proc as `ss -lnp` would.
 */
export interface ProcessSockets {
  /** Every socket the process holds open, listening or not. */
  open: string[];
  listening: string[];
}

export function socketsOf(pid: number): ProcessSockets {
  const open = readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? [];
    } catch {
      return []; // Closed between the listing and the read.
    }
  });
  const listening = listeningInodes(pid);
  return { open, listening: open.filter((inode) => listening.has(inode)) };
}

const tcpListen = "0A";
/** __SO_ACCEPTCON in /proc/net/unix: the socket accepts connections. */
const unixAccepting = 0x10000;

function listeningInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  const rows = (file: string) =>
    readFileSync(`/proc/${pid}/net/${file}`, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/));
  for (const file of ["tcp", "tcp6"]) for (const row of rows(file)) if (row[3] === tcpListen) inodes.add(row[9]!);
  for (const file of ["udp", "udp6"]) for (const row of rows(file)) inodes.add(row[9]!);
  for (const row of rows("unix")) if (Number.parseInt(row[3]!, 16) & unixAccepting) inodes.add(row[6]!);
  return inodes;
}
