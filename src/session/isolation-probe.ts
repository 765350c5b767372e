import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { BWRAP_CANDIDATES, BWRAP_NAMESPACES } from "./bwrap.js";
import type { IsolationSupport } from "./isolation.js";

export interface IsolationReport extends IsolationSupport {
  platform: string;
  /** The bubblewrap found, if any. */
  bwrap?: string | undefined;
  /** Kernel settings that decide whether an unprivileged user may make user namespaces. */
  sysctls: Record<string, string>;
}

const SYSCTLS = {
  "user.max_user_namespaces": "/proc/sys/user/max_user_namespaces",
  "kernel.unprivileged_userns_clone": "/proc/sys/kernel/unprivileged_userns_clone",
  "kernel.apparmor_restrict_unprivileged_userns": "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
} as const;

/** What makes bubblewrap work on Debian and Ubuntu. */
const INSTALL_HINT =
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)";

// Finds bubblewrap and tries it: the same namespaces a run uses, around `true`. Only a real attempt
// tells, since AppArmor, seccomp or a container can refuse what the sysctls allow.
export function probeIsolation(platform: string = process.platform): IsolationReport {
  const sysctls = readSysctls();
  if (platform !== "linux") {
    return {
      platform,
      sysctls,
      available: false,
      reason: `isolation needs Linux namespaces; this is ${platform}`,
    };
  }
  const bwrap = findBwrap();
  if (!bwrap)
    return {
      platform,
      sysctls,
      available: false,
      reason: "bubblewrap (bwrap) is not installed",
      hint: INSTALL_HINT,
    };
  const tried = spawnSync(bwrap, [...BWRAP_NAMESPACES, "--", "true"], {
    encoding: "utf8",
    timeout: 10_000,
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (tried.status === 0) return { platform, sysctls, bwrap, available: true };
  const said =
    (tried.stderr ?? "").trim().split("\n").pop() || tried.error?.message || `exit ${tried.status}`;
  return {
    platform,
    sysctls,
    bwrap,
    available: false,
    reason: `bubblewrap cannot make namespaces here: ${said}`,
    hint: namespaceHint(sysctls),
  };
}

// The documented way to allow unprivileged user namespaces where a setting forbids them.
function namespaceHint(sysctls: Record<string, string>): string {
  if (sysctls["kernel.apparmor_restrict_unprivileged_userns"] === "1") {
    return "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10 and later): add a profile that allows them to bubblewrap alone, /etc/apparmor.d/bwrap: `abi <abi/4.0>, include <tunables/global> profile bwrap /usr/bin/bwrap flags=(unconfined) { userns, }`, load it with `sudo apparmor_parser -r /etc/apparmor.d/bwrap` (or, for the whole machine, sysctl kernel.apparmor_restrict_unprivileged_userns=0)";
  }
  if (sysctls["kernel.unprivileged_userns_clone"] === "0")
    return "set the sysctl kernel.unprivileged_userns_clone=1";
  if (sysctls["user.max_user_namespaces"] === "0")
    return "set the sysctl user.max_user_namespaces to a positive number";
  return "in a container, run it with user namespaces allowed (Docker: a seccomp profile that allows clone/unshare of user namespaces), or use --isolation none knowingly";
}

function findBwrap(): string | undefined {
  return BWRAP_CANDIDATES.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function readSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, path] of Object.entries(SYSCTLS)) {
    try {
      values[name] = readFileSync(path, "utf8").trim();
    } catch {
      // absent on this kernel
    }
  }
  return values;
}
